"""MonitorPresenter with real collectors: store freshness, hub, logs, alerts, acknowledge, webhooks, loop lag."""

from __future__ import annotations

import asyncio
import http.server
import json
import logging
import threading
import time
from pathlib import Path

import pytest

from app.monitor_presenter import MonitorPresenter
from app.monitor_sampling import MonitorSources
from core.data.importer import import_one
from core.monitor.alerts import AlertRule, NoticeKind, Severity
from core.monitor.config import MonitorConfig, WebhookTarget
from core.quotes.hub import QuoteHub
from core.storage import MarketStore
from widgets.monitor_panel import MonitorPanel


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def panel(qtbot) -> MonitorPanel:  # noqa: ANN001
    widget = MonitorPanel()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    return widget


def _store(tmp_path: Path, cn_data: Path) -> MarketStore:
    store = MarketStore.open(tmp_path / "market.sqlite")
    import_one(store, cn_data / "index" / "daily" / "000300.SH.csv")  # real bars, last day 2022-12-30
    return store


def test_real_collectors_render_and_stale_data_alerts(panel: MonitorPanel, tmp_path: Path, cn_data: Path) -> None:
    store = _store(tmp_path, cn_data)
    clock = Clock()
    presenter = MonitorPresenter(
        panel, MonitorSources(tmp_path, store=store, hub=QuoteHub()), MonitorConfig(), clock=clock, start=False
    )
    try:
        assert panel.metric_text("data", "data.1d.last") == "2022-12-30"
        assert float(panel.metric_text("data", "data.1d.behind_days")) > 2  # years behind today
        assert panel.metric_level("data", "data.1d.last") == "warning"
        assert panel.metric_text("system", "system.memory_percent").endswith("%")
        assert panel.metric_level("system", "system.memory_percent") in ("ok", "warning")
        assert panel.metric_text("bridge", "bridge.state") == "n/a"  # no bridge in this session
        assert panel.metric_text("trading", "trading.pnl_today") == "n/a"
        assert panel.metric_text("models", "model.age_days") == "n/a"
        assert panel.metric_text("app", "app.ticks_per_s") == "0.0 /s"
        stale = [n for n in presenter.notices if n.rule.key == "data_stale_1d"]
        assert [n.kind for n in stale] == [NoticeKind.FIRED]
        assert "Daily bars stale" in panel.summary_label.text()
        assert panel.alert_tree.topLevelItemCount() >= 1

        clock.now += 2
        presenter.refresh()
        assert panel.sparkline("system", "system.memory_percent").points == 2
        alert_id = next(a.alert_id for a in presenter.monitor.engine.active() if a.rule.key == "data_stale_1d")
        panel.alert_tree.topLevelItem(0).setSelected(True)
        panel.ack_all_button.click()
        assert all(a.acknowledged for a in presenter.monitor.engine.active())
        assert "acknowledged" in panel.summary_label.text()
        assert any(a.alert_id == alert_id and a.acknowledged for a in presenter.alert_views())
    finally:
        presenter.shutdown()
        store.close()


def test_demo_mutes_staleness_and_logs_reach_the_panel(panel: MonitorPanel, tmp_path: Path, cn_data: Path) -> None:
    store = _store(tmp_path, cn_data)
    presenter = MonitorPresenter(panel, MonitorSources(tmp_path, store=store, demo=True), MonitorConfig(), start=False)
    try:
        assert not [n for n in presenter.notices if n.rule.key.startswith("data_stale")]
        assert panel.metric_level("data", "data.1d.last") == "ok"
        logging.getLogger("qdesk.test").warning("bridge token missing for %s", "host:8765")
        worker = threading.Thread(target=lambda: logging.getLogger("qdesk.worker").error("from a worker"))
        worker.start()
        worker.join()  # the handler stores the record on the worker's thread, before it ends
        presenter.flush_logs()
        messages = [r.message for r in panel.log_panel.visible_rows()]
        assert "bridge token missing for host:8765" in messages and "from a worker" in messages
    finally:
        presenter.shutdown()
        store.close()
    assert presenter.log_handler not in logging.getLogger().handlers


def test_bad_settings_file_falls_back_to_defaults(panel: MonitorPanel, tmp_path: Path) -> None:
    (tmp_path / "monitor.json").write_text('{"metrics_port": "yes"}', encoding="utf-8")
    presenter = MonitorPresenter(panel, MonitorSources(tmp_path), start=False)
    try:
        assert "field 'metrics_port'" in presenter.config_problem
        assert presenter.config.rules == MonitorConfig().rules
        assert "defaults apply" in panel.summary_label.text()
    finally:
        presenter.shutdown()


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        Receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_webhook_and_loop_lag_on_a_running_loop(panel: MonitorPanel, tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.bodies = []
    hub = QuoteHub()
    rule = AlertRule("ticks_quiet", "app.ticks_total", "<", 1, 0, Severity.CRITICAL, "No ticks yet")
    hook = WebhookTarget("generic", f"http://127.0.0.1:{server.server_port}/")
    config = MonitorConfig(rules=(rule,), webhooks=(hook,))
    presenter = MonitorPresenter(panel, MonitorSources(tmp_path, hub=hub), config, start=False)

    async def body() -> None:
        for _ in range(300):
            presenter.refresh()
            if Receiver.bodies and presenter.monitor.store.get("app.loop_lag_ms") is not None:
                break
            await asyncio.sleep(0.02)

    async def run() -> None:
        try:
            await asyncio.wait_for(body(), 20)
        finally:
            await presenter.notifier.webhooks.aclose()

    try:
        # A plain asyncio loop: the presenter needs only a running loop (the app's is qasync's), and a
        # second Qt-driven loop in the test process would outlive this test inside Qt.
        asyncio.run(run())
        assert Receiver.bodies[0]["rule"] == "ticks_quiet" and Receiver.bodies[0]["status"] == "firing"
        assert presenter.monitor.store.number("app.loop_lag_ms") >= 0
        assert panel.metric_text("app", "app.loop_lag_ms").endswith("ms")
    finally:
        presenter.shutdown()
        server.shutdown()
        server.server_close()


def test_timer_samples_only_while_the_window_is_up(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    panel = MonitorPanel()
    window.setCentralWidget(panel)
    clock = Clock()
    presenter = MonitorPresenter(panel, MonitorSources(tmp_path), MonitorConfig(), clock=clock)
    try:
        series = presenter.monitor.store.series("system.memory_percent")
        assert len(series) == 1  # the first sample, taken while the window is built
        clock.now += 5
        presenter._on_timer_timeout()
        assert len(series) == 1  # never shown: nobody to alert, no work
        window.show()
        clock.now += 5
        presenter._on_timer_timeout()
        assert len(series) == 2
    finally:
        presenter.shutdown()
