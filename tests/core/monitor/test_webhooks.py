"""Webhook bodies for WeCom, Feishu, DingTalk and generic receivers, posted to a real local HTTP server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from core.monitor.alerts import AlertEngine, AlertRule, NoticeKind, Severity
from core.monitor.config import WebhookTarget
from core.monitor.notify import PER_TARGET_PER_MINUTE, WebhookNotifier


@dataclass
class Receiver:
    url: str
    posts: list[tuple[str, dict]] = field(default_factory=list)
    reply: dict = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    status: int = 200


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            length = int(self.headers["Content-Length"])
            assert self.headers["Content-Type"] == "application/json"
            state.posts.append((self.path, json.loads(self.rfile.read(length))))
            body = json.dumps(state.reply).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _notices() -> list:
    now = [1_764_640_000.0]
    rule = AlertRule("bridge_down", "bridge.connected", "<", 1, 10, Severity.CRITICAL, "Bridge disconnected")
    engine = AlertEngine([rule], lambda: now[0])
    engine.evaluate({"bridge.connected": 0})
    now[0] += 10
    fired = engine.evaluate({"bridge.connected": 0})
    now[0] += 95
    resolved = engine.evaluate({"bridge.connected": 1})
    return fired + resolved


def _send(targets: list[WebhookTarget], notices: list) -> list[str]:
    async def go() -> list[str]:
        notifier = WebhookNotifier(targets)
        try:
            errors = []
            for notice in notices:
                errors += await notifier.send(notice)
            return errors
        finally:
            await notifier.aclose()

    return asyncio.run(go())


def test_each_robot_format_reaches_the_receiver(receiver: Receiver) -> None:
    fired, resolved = _notices()
    targets = [
        WebhookTarget("wecom", receiver.url + "/cgi-bin/webhook/send?key=K"),
        WebhookTarget("feishu", receiver.url + "/open-apis/bot/v2/hook/H"),
        WebhookTarget("dingtalk", receiver.url + "/robot/send?access_token=T"),
        WebhookTarget("generic", receiver.url + "/alerts"),
    ]
    assert _send(targets, [fired, resolved]) == []
    paths = [p for p, _ in receiver.posts]
    assert paths == [t.url.removeprefix(receiver.url) for t in targets] * 2
    wecom, feishu, ding, generic = (body for _, body in receiver.posts[:4])
    assert wecom["msgtype"] == "text"
    assert wecom["text"]["content"].startswith("[QDesk] CRITICAL: Bridge disconnected")
    assert "bridge.connected < 1 for 10 s · value 0" in wecom["text"]["content"]
    assert feishu == {"msg_type": "text", "content": {"text": wecom["text"]["content"]}}
    assert ding["msgtype"] == "markdown" and ding["markdown"]["title"] == "[QDesk] CRITICAL: Bridge disconnected"
    assert generic["status"] == "firing" and generic["rule"] == "bridge_down" and generic["severity"] == "critical"
    assert generic["value"] == 0 and generic["resolved_at"] is None
    assert generic["fired_at"].endswith("+08:00")
    resolved_generic = receiver.posts[7][1]
    assert resolved_generic["status"] == "resolved" and resolved_generic["alert_id"] == generic["alert_id"]
    assert "after 1m 35s" in receiver.posts[4][1]["text"]["content"]


def test_signed_dingtalk_and_feishu(receiver: Receiver) -> None:
    fired, _ = _notices()
    _send(
        [
            WebhookTarget("dingtalk", receiver.url + "/robot/send?access_token=T", secret="SEC1"),
            WebhookTarget("feishu", receiver.url + "/hook", secret="SEC2"),
        ],
        [fired],
    )
    ding_path, _ = receiver.posts[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(ding_path).query)
    stamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC1", f"{stamp}\nSEC1".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["T"]
    feishu = receiver.posts[1][1]
    key = f"{feishu['timestamp']}\nSEC2".encode()
    assert feishu["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def test_robot_errors_are_reported_not_raised(receiver: Receiver) -> None:
    fired, _ = _notices()
    receiver.reply = {"errcode": 310000, "errmsg": "keywords not in content"}
    errors = _send([WebhookTarget("dingtalk", receiver.url + "/robot/send")], [fired])
    assert len(errors) == 1 and "error 310000 keywords not in content" in errors[0]
    receiver.reply, receiver.status = {}, 500
    errors = _send([WebhookTarget("generic", receiver.url + "/x")], [fired])
    assert errors == [f"generic webhook {receiver.url.removeprefix('http://')}: HTTP 500"]
    # Nothing listening: a clear error, no exception out of send().
    errors = _send([WebhookTarget("generic", "http://127.0.0.1:9/unreachable")], [fired])
    assert len(errors) == 1 and errors[0].startswith("generic webhook:")


def test_severity_filter_and_per_robot_rate_limit(receiver: Receiver) -> None:
    fired, _ = _notices()
    quiet = WebhookTarget("generic", receiver.url + "/only-critical", min_severity=Severity.CRITICAL)
    assert _send([quiet], [fired]) == []
    assert len(receiver.posts) == 1
    warn = AlertRule("lag", "lag", ">", 1, 0, Severity.WARNING)
    engine = AlertEngine([warn], lambda: 0.0)
    warning = engine.evaluate({"lag": 5})[0]
    assert warning.kind is NoticeKind.FIRED
    _send([quiet], [warning])
    assert len(receiver.posts) == 1  # below the target's minimum severity

    async def burst() -> WebhookNotifier:
        notifier = WebhookNotifier([WebhookTarget("generic", receiver.url + "/burst")], clock=lambda: 100.0)
        for _ in range(PER_TARGET_PER_MINUTE + 5):
            await notifier.send(fired)
        await notifier.aclose()
        return notifier

    notifier = asyncio.run(burst())
    assert notifier.delivered == PER_TARGET_PER_MINUTE and notifier.dropped == 5
    assert sum(1 for p, _ in receiver.posts if p == "/burst") == PER_TARGET_PER_MINUTE


def test_submit_sends_in_the_background(receiver: Receiver) -> None:
    fired, _ = _notices()

    async def go() -> None:
        notifier = WebhookNotifier([WebhookTarget("wecom", receiver.url + "/bg")])
        notifier.submit(fired)
        for _ in range(200):
            if notifier.delivered:
                break
            await asyncio.sleep(0.01)
        await notifier.aclose()

    asyncio.run(go())
    assert [p for p, _ in receiver.posts] == ["/bg"]
