"""Data folder resolution: flag, then QDESK_DATA_DIR, then the OS default."""

from pathlib import Path

from core.paths import default_data_dir, display_path, resolve_data_dir


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


def test_the_status_bar_spells_a_folder_under_home_from_the_tilde(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "u")}
    data = default_data_dir(env, "linux")
    assert display_path(data, env) == str(Path("~") / ".local" / "share" / "QDesk")
    assert display_path(tmp_path / "u", env) == "~"
    assert display_path(tmp_path / "elsewhere", env) == str(tmp_path / "elsewhere")  # not under home: in full
    assert display_path(tmp_path / "u2", env) == str(tmp_path / "u2")  # a sibling that only shares the prefix
