"""The command line: the desktop's options alone load no command module; a command or --help gets the whole line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import _parse

REPO = Path(__file__).resolve().parents[2]


def test_opening_the_window_loads_no_command_module() -> None:
    code = (
        "import sys; from app.cli import _parse; "
        "a = _parse(['--data-dir', 'd', '--lang', 'en', '--demo', '--screenshot', 's.png']); "
        "print(a.command, a.data_dir, a.lang, a.demo, a.screenshot, "
        "sorted(m for m in sys.modules if m.startswith('app.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None d en True s.png []"


def test_a_command_after_the_desktop_options_is_parsed_with_its_own_arguments() -> None:
    args = _parse(["--data-dir", "d", "data", "import", "a.csv", "--freq", "1d"])
    assert (args.command, args.data_dir, args.paths, args.freq) == ("data", "d", ["a.csv"], "1d")


def test_help_lists_the_commands_and_a_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as helped:
        _parse(["--help"])
    assert helped.value.code == 0 and "backtest" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        _parse(["--lang", "fr"])
    assert refused.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as unknown:
        _parse(["--frobnicate"])
    assert unknown.value.code == 2 and "unrecognized arguments: --frobnicate" in capsys.readouterr().err
