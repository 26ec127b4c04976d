"""Risk limits are settable: a bridge config file, `--risk-limit KEY=VALUE` flags and the desktop's settings,
every bad value refused in one line naming where and which field; the engine enforces what was set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from core.trading.limits import LimitsError, limits_from_flags, limits_from_mapping, load_limits
from core.trading.risk import RiskEngine, RiskLimits


def test_a_config_file_sets_every_limit_and_the_engine_uses_them(tmp_path: Path) -> None:
    values = {
        "max_order_value": 20_000.0,
        "max_order_qty": 5_000,
        "max_position_weight": 0.1,
        "restricted": ["600000.SH"],
        "duplicate_window_s": 2.0,
        "max_orders_per_window": 3,
        "rate_window_s": 0.5,
        "max_orders_per_day": 40,
        "max_daily_loss": 1_234.0,
    }
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    limits = load_limits(path)
    assert limits.as_dict() == {**values, "restricted": ("600000.SH",)}
    engine = RiskEngine(limits)
    params = {type(r).__name__: r for r in engine.rules}
    assert params["DailyLossRule"].max_loss == 1_234.0  # type: ignore[attr-defined]
    assert params["MaxOrderRule"].max_value == 20_000.0  # type: ignore[attr-defined]
    assert limits_from_flags(["max_daily_loss=500", "restricted=000001.SZ,600000.SH"], limits).restricted == (
        "000001.SZ",
        "600000.SH",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_loss": 1}, "unknown risk limit 'max_loss'"),
        ({"max_daily_loss": "lots"}, "max_daily_loss: 'lots' is not a number"),
        ({"max_orders_per_day": 1.5}, "max_orders_per_day: 1.5 is not a whole number"),
        ({"max_position_weight": -0.1}, "max_position_weight: -0.1 must be a number of 0 or more"),
        ({"restricted": 5}, "restricted: expected a list of symbols"),
    ],
)
def test_bad_limits_are_refused_naming_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(LimitsError) as refused:
        limits_from_mapping(data, "limits.json")
    assert str(refused.value).startswith("limits.json: ") and message in str(refused.value)


def test_a_bad_limits_file_is_one_line_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    path.write_text('{\n "max_daily_loss": 10,\n oops\n}', encoding="utf-8")
    with pytest.raises(LimitsError, match=r"limits.json: line 3: not valid JSON"):
        load_limits(path)
    with pytest.raises(LimitsError, match="cannot read it"):
        load_limits(tmp_path / "none.json")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--risk-limit", "max_daily_loss=1000"], "--risk-limits and --risk-limit need live orders"),
        (["--qmt-userdata", "{dir}", "--account", "1", "--risk-limit", "max_daily_loss"], "expected KEY=VALUE"),
        (["--qmt-userdata", "{dir}", "--account", "1", "--risk-limit", "max_daily_loss=x"], "'x' is not a number"),
        (["--qmt-userdata", "{dir}", "--account", "1", "--risk-limits", "{dir}/no.json"], "cannot read it"),
    ],
)
def test_bad_bridge_limit_flags_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    args = [a.replace("{dir}", str(tmp_path)) for a in argv]
    code = main(["--data-dir", str(tmp_path), "bridge", "--source", "sim", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]


def test_defaults_stay_when_nothing_is_set() -> None:
    assert limits_from_mapping({}, "settings") == RiskLimits()
