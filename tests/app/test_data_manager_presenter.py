"""Data manager: real store, real importer on a worker thread, progress, errors, delete, exports."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.data_manager_presenter import DataManagerPresenter
from core.data.importer import import_files
from core.storage import MarketStore
from tests.realdata import read_lines, write_lines
from widgets.data_manager_panel import DataManagerPanel


def make(qtbot: QtBot, store: MarketStore) -> tuple[DataManagerPanel, DataManagerPresenter, list[object]]:
    panel = DataManagerPanel()
    qtbot.addWidget(panel)
    panel.confirm = lambda _question: True
    reports: list[object] = []
    panel.show_report = lambda title, summary, errors: reports.append((title, summary, list(errors)))  # type: ignore[method-assign]
    return panel, DataManagerPresenter(panel, store), reports


def finish(qtbot: QtBot, presenter: DataManagerPresenter, reports: list[object], n: int) -> None:
    qtbot.waitUntil(lambda: len(reports) == n and not presenter.runner.busy, timeout=20_000)


def test_import_lists_series_and_reports_bad_files(
    qtbot: QtBot, store: MarketStore, cn_data: Path, tmp_path: Path
) -> None:
    panel, presenter, reports = make(qtbot, store)
    assert panel.tree.topLevelItemCount() == 0
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    lines[3] = lines[3].replace(",", ";", 1)
    bad = write_lines(tmp_path / "600004.SH.csv", lines)
    panel.sig_import_requested.emit([str(cn_data / "daily" / "000001.SZ.csv"), str(bad)])
    assert not panel.progress.isHidden()
    finish(qtbot, presenter, reports, 1)
    title, summary, errors = reports[0]  # type: ignore[misc]
    assert "1 of 2 file(s) imported" in summary
    assert len(errors) == 1 and errors[0].startswith(f"{bad}:4:")
    assert panel.progress.isHidden()
    group = panel.tree.topLevelItem(0)
    assert group.childCount() == 1 and group.child(0).text(0) == "000001.SZ"
    assert group.child(0).data(2, 0) == len(read_lines(cn_data / "daily" / "000001.SZ.csv")) - 1


def test_delete_and_exports(qtbot: QtBot, store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    panel, presenter, reports = make(qtbot, store)
    panel.sig_import_requested.emit(
        [str(cn_data / "daily" / "600000.SH.csv"), str(cn_data / "daily" / "000001.SZ.csv")]
    )
    finish(qtbot, presenter, reports, 1)
    panel.sig_export_csv_requested.emit([("600000.SH", "1d")], str(tmp_path / "csv"))
    finish(qtbot, presenter, reports, 2)
    assert (tmp_path / "csv" / "600000.SH.csv").exists()
    panel.sig_export_qlib_requested.emit(str(tmp_path / "qlib"))
    finish(qtbot, presenter, reports, 3)
    assert "(full)" in reports[2][1] and (tmp_path / "qlib" / "features" / "sh600000").exists()  # type: ignore[index]
    group = panel.tree.topLevelItem(0)
    next(group.child(i) for i in range(group.childCount()) if group.child(i).text(0) == "000001.SZ").setSelected(True)
    panel.buttons["delete"].click()
    finish(qtbot, presenter, reports, 4)
    assert [s.symbol for s in store.series()] == ["600000.SH"]
    assert panel.tree.topLevelItem(0).childCount() == 1


def test_update_from_bridge_fills_the_selected_series_from_a_real_bridge(
    qtbot: QtBot, store: MarketStore, cn_data: Path, tmp_path: Path
) -> None:
    from tests.core.data.test_bridge_update import store_bridge

    bridge_store = MarketStore.open(tmp_path / "bridge" / "market.sqlite")
    for _ in import_files(bridge_store, [cn_data / "daily" / "600000.SH.csv"], freq="1d", workers=1):
        pass
    bridge_store.close()
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    old = write_lines(tmp_path / "600000.SH.csv", [lines[0]] + [r for r in lines[1:] if r < "2022"])
    for _ in import_files(store, [old], freq="1d", workers=1):
        pass
    with store_bridge(tmp_path / "bridge" / "market.sqlite", tmp_path / "bridge") as (url, token):
        panel = DataManagerPanel()
        qtbot.addWidget(panel)
        reports: list[object] = []
        panel.show_report = lambda title, summary, errors: reports.append((title, summary, list(errors)))  # type: ignore[method-assign]
        presenter = DataManagerPresenter(panel, store, bridge_url=url, bridge_token=token)
        assert panel.buttons["update"].isEnabled()
        panel.tree.topLevelItem(0).setSelected(True)  # the whole 1d group
        panel.buttons["update"].click()
        assert not panel.progress.isHidden()
        finish(qtbot, presenter, reports, 1)
    title, summary, errors = reports[0]  # type: ignore[misc]
    assert errors == [] and "Updated 1 series from the bridge" in summary
    assert store.read_bars("600000.SH", "1d")["time"].iloc[-1] == "2022-12-30"
    assert panel.tree.topLevelItem(0).child(0).text(4) == "2022-12-30"  # the tree shows the new last day


def test_update_button_needs_a_bridge(qtbot: QtBot, store: MarketStore) -> None:
    panel, _, _ = make(qtbot, store)
    assert not panel.buttons["update"].isEnabled()


def test_progress_shows_percent_and_file_and_a_cancel_reports_the_true_total(
    qtbot: QtBot, store: MarketStore, cn_data: Path
) -> None:
    panel, presenter, reports = make(qtbot, store)
    files = sorted((cn_data / "daily").glob("*.csv"))[:40]
    formats: list[str] = []
    panel.progress.valueChanged.connect(lambda *_: formats.append(panel.progress.format()))
    panel.sig_import_requested.emit([str(f) for f in files])
    assert panel.progress.maximum() == 0  # counting: a busy bar, never "0/1"
    qtbot.waitUntil(lambda: panel.progress.value() >= 1, timeout=20_000)
    panel.sig_cancel_requested.emit()
    finish(qtbot, presenter, reports, 1)
    title, summary, _ = reports[0]  # type: ignore[misc]
    assert title == "Import"  # a window title, capitalised
    done = int(summary.split(" of ")[0])
    assert 1 <= done < 40 and f"{done} of 40 file(s) imported" in summary and "Cancelled" in summary
    assert any("/40 (" in f and "%)" in f and f.endswith(".csv") for f in formats)
