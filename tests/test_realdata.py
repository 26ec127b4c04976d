"""Missing real data fails a test with the path to fix; it never turns into a silent skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata import real_data


def test_missing_real_data_fails_naming_the_path_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDESK_TEST_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.fail.Exception) as failed:
        real_data("cn", "daily")
    message = str(failed.value)
    assert str(tmp_path / "nowhere" / "cn" / "daily") in message and "QDESK_TEST_DATA" in message


def test_present_real_data_is_returned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cn").mkdir()
    monkeypatch.setenv("QDESK_TEST_DATA", str(tmp_path))
    assert real_data("cn") == tmp_path / "cn"
