"""Alert notices as text and as webhook bodies (WeCom, Feishu and DingTalk robots, generic JSON), sent with httpx."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import logging
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from core.monitor.alerts import AlertNotice, NoticeKind
from core.monitor.config import WebhookTarget
from core.quotes.session import BEIJING

log = logging.getLogger(__name__)
# DingTalk robots accept 20 messages a minute and then block for ten minutes; keep under every robot's cap.
PER_TARGET_PER_MINUTE = 20


def format_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def notice_title(notice: AlertNotice) -> str:
    rule = notice.rule
    state = rule.severity.value.upper() if notice.kind is NoticeKind.FIRED else "RESOLVED"
    return f"[QDesk] {state}: {rule.title or rule.key}"


def notice_text(notice: AlertNotice) -> str:
    """Plain lines a chat robot shows well: title, the condition and value, when."""
    value = "n/a" if notice.value is None else f"{notice.value:g}"
    lines = [notice_title(notice), f"{notice.rule.describe()} · value {value}"]
    if notice.kind is NoticeKind.FIRED:
        lines.append(f"since {format_time(notice.fired_at)}")
    else:
        lines.append(f"resolved {format_time(notice.at)} after {format_duration(notice.at - notice.fired_at)}")
    return "\n".join(lines)


def generic_payload(notice: AlertNotice) -> dict[str, Any]:
    rule = notice.rule
    return {
        "source": "qdesk",
        "status": "firing" if notice.kind is NoticeKind.FIRED else "resolved",
        "alert_id": notice.alert_id,
        "rule": rule.key,
        "title": rule.title or rule.key,
        "severity": rule.severity.value,
        "metric": rule.metric,
        "condition": rule.describe(),
        "value": notice.value,
        "threshold": rule.threshold,
        "fired_at": dt.datetime.fromtimestamp(notice.fired_at, BEIJING).isoformat(),
        "resolved_at": (
            dt.datetime.fromtimestamp(notice.at, BEIJING).isoformat() if notice.kind is NoticeKind.RESOLVED else None
        ),
        "text": notice_text(notice),
    }


def wecom_payload(notice: AlertNotice) -> dict[str, Any]:
    """WeCom (企业微信) group robot: a text message."""
    return {"msgtype": "text", "text": {"content": notice_text(notice)}}


def dingtalk_payload(notice: AlertNotice) -> dict[str, Any]:
    """DingTalk (钉钉) custom robot: markdown with a title (the notification preview)."""
    text = notice_text(notice).replace("\n", "\n\n")  # markdown needs blank lines between paragraphs
    return {"msgtype": "markdown", "markdown": {"title": notice_title(notice), "text": text}}


def feishu_payload(notice: AlertNotice, secret: str = "", now: float | None = None) -> dict[str, Any]:
    """Feishu/Lark (飞书) custom bot: a text message, signed in the body when the bot has a secret."""
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": notice_text(notice)}}
    if secret:
        stamp = str(int(now if now is not None else time.time()))
        # Feishu signs with the timestamp-and-secret string as the HMAC key and an empty message.
        digest = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        body.update(timestamp=stamp, sign=base64.b64encode(digest).decode())
    return body


def dingtalk_signed_url(url: str, secret: str, now: float | None = None) -> str:
    """DingTalk's signature goes in the query: timestamp in ms and an HMAC-SHA256 of it keyed by the secret."""
    stamp = str(int(1000 * (now if now is not None else time.time())))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def request_for(target: WebhookTarget, notice: AlertNotice, now: float | None = None) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body to POST for `notice` to `target`."""
    if target.kind == "wecom":
        return target.url, wecom_payload(notice)
    if target.kind == "feishu":
        return target.url, feishu_payload(notice, target.secret, now)
    if target.kind == "dingtalk":
        url = dingtalk_signed_url(target.url, target.secret, now) if target.secret else target.url
        return url, dingtalk_payload(notice)
    return target.url, generic_payload(notice)


class WebhookError(Exception):
    """A robot refused or could not be reached; the message names the target."""


def _check_reply(target: WebhookTarget, status: int, body: Any) -> None:
    host = urllib.parse.urlsplit(target.url).netloc
    if status >= 300:
        raise WebhookError(f"{target.kind} webhook {host}: HTTP {status}")
    # The chat robots answer 200 with an error code in the body (bad key, keyword missing, rate limited).
    if isinstance(body, dict):
        code = body.get("errcode", body.get("code", body.get("StatusCode", 0)))
        if code not in (0, None):
            message = body.get("errmsg") or body.get("msg") or body.get("StatusMessage") or ""
            raise WebhookError(f"{target.kind} webhook {host}: error {code} {message}".rstrip())


class WebhookNotifier:
    """Posts notices to the configured robots; each robot gets at most PER_TARGET_PER_MINUTE posts a minute."""

    def __init__(
        self,
        targets: Sequence[WebhookTarget],
        *,
        timeout: float = 5.0,
        transport: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.targets = list(targets)
        self._timeout, self._transport, self._clock = timeout, transport, clock
        self._client: Any | None = None
        self._sent: dict[int, deque[float]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    def submit(self, notice: AlertNotice) -> None:
        """Send in the background on the running loop; the task is tracked, its failure logged."""
        if not self._eligible(notice):
            return
        task = asyncio.get_running_loop().create_task(self.send(notice), name=f"webhook-{notice.alert_id}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def send(self, notice: AlertNotice) -> list[str]:
        """Post `notice` to every eligible target now; returns the errors (also logged)."""
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        errors = []
        for index, target in enumerate(self.targets):
            if target not in self._eligible(notice):
                continue
            if not self._take_slot(index):
                self.dropped += 1
                continue
            url, body = request_for(target, notice)
            try:
                reply = await self._client.post(url, json=body)
                try:
                    parsed = reply.json()
                except ValueError:
                    parsed = None
                _check_reply(target, reply.status_code, parsed)
                self.delivered += 1
            except (httpx.HTTPError, WebhookError) as exc:
                self.failed += 1
                message = str(exc) if isinstance(exc, WebhookError) else f"{target.kind} webhook: {exc!r}"
                log.warning("alert %s not delivered: %s", notice.rule.key, message)
                errors.append(message)
        return errors

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook task %s failed", task.get_name(), exc_info=task.exception())

    def _eligible(self, notice: AlertNotice) -> list[WebhookTarget]:
        return [t for t in self.targets if notice.rule.severity.rank >= t.min_severity.rank]

    def _take_slot(self, index: int) -> bool:
        now = self._clock()
        sent = self._sent.setdefault(index, deque())
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        if len(sent) >= PER_TARGET_PER_MINUTE:
            return False
        sent.append(now)
        return True
