"""`python main.py data ...` as a user runs it: real processes, real store, exit codes and output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.realdata import read_lines, write_lines

REPO = Path(__file__).resolve().parents[2]


def qdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QDESK_DATA_DIR"}
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("args", [[], ["data"], ["data", "import"], ["data", "status"], ["data", "export-qlib"]])
def test_every_command_prints_help(tmp_path: Path, args: list[str]) -> None:
    result = qdesk(tmp_path, *args, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


def test_import_status_export_round(cn_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = [
        cn_data / "daily" / "600000.SH.csv",
        cn_data / "daily" / "000001.SZ.csv",
        cn_data / "index" / "constituents" / "csi300_membership_intervals.csv",
    ]
    result = qdesk(data, "data", "import", *map(str, files))
    assert result.returncode == 0, result.stderr
    assert "Imported 3 of 3 file(s)" in result.stdout
    assert "bars: 2 symbols" in result.stdout and "membership: csi300" in result.stdout
    status = qdesk(data, "data", "status")
    assert status.returncode == 0
    assert "1d" in status.stdout and "2007-01-04" in status.stdout and "csi300" in status.stdout
    export = qdesk(data, "data", "export-qlib", str(tmp_path / "provider"))
    assert export.returncode == 0, export.stderr
    assert "(full)" in export.stdout and "universes: all, csi300" in export.stdout
    assert (tmp_path / "provider" / "features" / "sh600000" / "close.day.bin").exists()
    again = qdesk(data, "data", "export-qlib", str(tmp_path / "provider"))
    assert "(unchanged)" in again.stdout


def test_a_bad_file_fails_alone_with_a_one_line_error_and_exit_1(cn_data: Path, tmp_path: Path) -> None:
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    lines[5] = lines[5].replace(lines[5][:10], "2007-02-30")
    (tmp_path / "in").mkdir()
    bad = write_lines(tmp_path / "in" / "600000.SH.csv", lines)
    result = qdesk(tmp_path / "data", "data", "import", str(bad), str(cn_data / "daily" / "000001.SZ.csv"))
    assert result.returncode == 1
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("ERROR")]
    assert errors == [f"ERROR {bad}:6: field 'time': unparseable date '2007-02-30'"]
    assert "Imported 1 of 2 file(s)" in result.stdout and "1 file(s) failed" in result.stdout


def test_missing_path_exits_2_with_a_reason(tmp_path: Path) -> None:
    result = qdesk(tmp_path, "data", "import", str(tmp_path / "nope.csv"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"qdesk: error: {tmp_path / 'nope.csv'}: no such file or folder"


def test_status_of_a_new_data_folder(tmp_path: Path) -> None:
    result = qdesk(tmp_path / "fresh", "data", "status")
    assert result.returncode == 0 and "No market store yet" in result.stdout


def test_holidays_import_and_a_bad_date_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "holidays.csv"
    good.write_text("date\n2012-04-02\n2012-04-03\n2012-04-04\n2012-10-01\n", encoding="utf-8")
    result = qdesk(tmp_path, "data", "holidays", str(good))
    assert result.returncode == 0, result.stderr
    assert "known through 2012-12-31" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("2012-04-02\n2012-13-01\n", encoding="utf-8")
    result = qdesk(tmp_path, "data", "holidays", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"qdesk: error: {bad}:2: '2012-13-01' is not a date (YYYY-MM-DD)"
