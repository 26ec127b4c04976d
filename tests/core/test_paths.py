"""Data folder resolution: flag, then QDESK_DATA_DIR, then the OS default."""

from pathlib import Path

from core.paths import default_data_dir, resolve_data_dir


def test_precedence_flag_then_environment_then_default(tmp_path: Path) -> None:
    env = {"QDESK_DATA_DIR": str(tmp_path / "env"), "HOME": str(tmp_path)}
    assert resolve_data_dir(str(tmp_path / "flag"), env) == tmp_path / "flag"
    assert resolve_data_dir(None, env) == tmp_path / "env"
    assert resolve_data_dir(None, {"HOME": str(tmp_path)}) == default_data_dir({"HOME": str(tmp_path)})


def test_os_defaults() -> None:
    home = {"HOME": "/home/u"}
    assert default_data_dir(home, "linux") == Path("/home/u/.local/share/QDesk")
    assert default_data_dir({**home, "XDG_DATA_HOME": "/x"}, "linux") == Path("/x/QDesk")
    assert default_data_dir(home, "darwin") == Path("/home/u/Library/Application Support/QDesk")
    assert default_data_dir({**home, "LOCALAPPDATA": "C:/Users/u/AppData/Local"}, "win32") == Path(
        "C:/Users/u/AppData/Local/QDesk"
    )
