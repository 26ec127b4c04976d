"""`python main.py factor ...` as a user runs it, on a copy of a real CSI300 slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.research.factors.library import load_library
from core.research.registry import RunRegistry
from tests.cli.test_train_cli import data_dir, qdesk  # noqa: F401  (the copied-slice fixture)
from tests.core.research.slices import TINY_SEGMENTS, Slice


@pytest.mark.parametrize("action", ["eval", "search", "save", "list", "remove"])
def test_help(tmp_path: Path, action: str) -> None:
    result = qdesk(tmp_path, "factor", action, "--help")
    assert result.returncode == 0 and "usage: qdesk factor " + action in result.stdout


def test_eval_prints_the_metrics_and_writes_the_tear_sheet(data_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    result = qdesk(
        data_dir,
        *("factor", "eval", "Ref($close,5)/$close-1", "--universe", "csi300"),
        *("--start", "2012-01-01", "--end", "2012-12-31", "--horizons", "1,5,10", "--report", str(tmp_path / "r")),
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    assert lines["factor"] == "Ref($close, 5) / $close - 1"
    for name in ("ic", "icir", "rank_ic", "rank_icir", "long_short", "top_turnover", "coverage"):
        assert name in lines
    assert "1d" in lines["rank"] and "10d" in lines["rank"] and "20d" not in lines["rank"]
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "IC decay" in page and (tmp_path / "r" / "daily.csv").exists()


@pytest.mark.parametrize(
    ("expression", "args", "message"),
    [
        ("Mean($close, ", [], "invalid expression at position 5 (Mean): '(' was never closed"),
        ("Corr($close, $vol, 10)", [], "invalid expression at position 14 (Corr): unknown field $vol"),
        ("$close", ["--universe", " , "], "--universe: empty universe"),
        ("$close", ["--universe", "csi500"], "universe 'csi500' is not in the exported data"),
        ("$close", ["--start", "2030-01-01", "--end", "2030-06-30"], "no trading days between 2030-01-01"),
        ("$close", ["--horizons", "0-5"], "--horizons: days between 1 and 60"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(data_dir: Path, expression: str, args: list[str], message: str) -> None:  # noqa: F811
    dates = [] if "--start" in args else ["--start", "2012-01-01", "--end", "2012-06-30"]
    result = qdesk(data_dir, "factor", "eval", expression, *dates, *args)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("qdesk: error:")]
    assert errors == [f"qdesk: error: {message}"] or (len(errors) == 1 and message in errors[0]), result.stderr


def test_library_save_list_remove(tmp_path: Path) -> None:
    assert qdesk(tmp_path, "factor", "save", "MOM5", "Ref($close,5)/$close-1").returncode == 0
    clash = qdesk(tmp_path, "factor", "save", "MOM5", "$close")
    assert clash.returncode == 2 and "exists" in clash.stderr
    bad = qdesk(tmp_path, "factor", "save", "X", "Mean($close)")
    assert bad.returncode == 2 and "position 1 (Mean): expects 2 arguments" in bad.stderr
    listed = qdesk(tmp_path, "factor", "list")
    assert listed.stdout.split() == ["MOM5", "Ref($close,", "5)", "/", "$close", "-", "1"]
    assert qdesk(tmp_path, "factor", "remove", "MOM5").returncode == 0
    gone = qdesk(tmp_path, "factor", "remove", "MOM5")
    assert gone.returncode == 2 and "no factor 'MOM5'" in gone.stderr
    assert json.loads((tmp_path / "factors.json").read_text())["factors"] == {}


def test_search_saves_its_finalists_then_train_uses_them(data_dir: Path, research_slice: Slice) -> None:  # noqa: F811
    universe = ",".join(research_slice.symbols[:20])
    segments = "2010-09:2011-06,2011-07:2011-09,2011-10:2011-12"
    searched = qdesk(
        data_dir,
        *("factor", "search", "--universe", universe, "--segments", segments),
        *("--population", "6", "--generations", "2", "--finalists", "2", "--workers", "2", "--seed", "5"),
        *("--save", "GP"),
    )
    assert searched.returncode == 0, searched.stderr
    assert "test scored for the finalists only" in searched.stdout and "generation 2:" in searched.stderr
    library = load_library(data_dir)
    assert library and set(library) <= {"GP1", "GP2"}

    empty = qdesk(data_dir, "train", "--model", "lightgbm", "--dataset", "alpha158+nothing.txt")
    assert empty.returncode == 2 and "factor file nothing.txt not found" in empty.stderr
    trained = qdesk(
        data_dir,
        *("train", "--model", "lightgbm", "--dataset", "alpha158+library", "--universe", universe),
        *("--segments", str(TINY_SEGMENTS), "--epochs", "20", "--param", "num_threads=1", "--param", "num_leaves=15"),
        *("--param", "lambda_l1=0", "--param", "lambda_l2=1"),
    )
    assert trained.returncode == 0, trained.stderr
    [run] = RunRegistry(data_dir).runs()
    assert [tuple(f) for f in run.config["dataset"]["factors"]] == list(library.items())
    scored = qdesk(data_dir, "predict", "--run", run.run_id, "--start", "2011-12-28", "--end", "2011-12-30")
    assert scored.returncode == 0, scored.stderr


def test_search_on_a_ray_address_that_does_not_answer_is_one_line_and_exit_2(tmp_path: Path) -> None:
    port = _closed_port()
    result = qdesk(tmp_path, "factor", "search", "--ray-address", f"127.0.0.1:{port}", "--population", "4")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line, before any search output
    assert "no Ray head answers" in result.stderr and f"127.0.0.1:{port}" in result.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
