"""The first-start wizard's worker jobs: the bridge check, the bridge history download and the file import."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication

from core.jobs import CancelToken, Progress
from core.util.loop_thread import LoopThread

if TYPE_CHECKING:
    from core.bridge.client.http import BridgeHttp

# A first download stays small: enough history to train on, minutes rather than hours over a LAN.
BRIDGE_SYMBOLS = 300
BRIDGE_YEARS = 3
# Backstops per call on top of httpx's own time-outs: a bridge that never answers fails the job, not the wizard.
CHECK_TIMEOUT = 15.0
DOWNLOAD_TIMEOUT = 120.0


def _tr(text: str) -> str:
    return QCoreApplication.translate("FirstRun", text)


@dataclass(frozen=True, slots=True)
class ConnectionChecked:
    """Outcome of one connection test; `health` is the bridge's /v1/health answer when it worked."""

    ok: bool
    message: str
    health: dict[str, Any] | None = None


@contextmanager
def _bridge(url: str, token: str, ca_file: str, timeout: float) -> Iterator[tuple[LoopThread, BridgeHttp]]:
    """The bridge client on a LoopThread of its own, for a job's thread to call; both closed on the way out."""
    from core.bridge.client.http import BridgeHttp

    with LoopThread("first-run-bridge") as loop:
        http = BridgeHttp(url, token, ca_file or None, timeout=timeout)
        try:
            yield loop, http
        finally:
            loop.call(http.aclose(), CHECK_TIMEOUT)


def check_bridge_job(url: str, token: str, ca_file: str) -> Callable[[CancelToken], Iterator[ConnectionChecked]]:
    """A job asking the bridge's /v1/health with `token`; yields one ConnectionChecked, never raises."""

    def job(cancel: CancelToken) -> Iterator[ConnectionChecked]:
        from core.bridge.client.events import BridgeAuthError, BridgeError

        try:
            with _bridge(url, token, ca_file, timeout=5.0) as (loop, http):
                health = loop.call(http.health(), CHECK_TIMEOUT)
        except BridgeAuthError:
            yield ConnectionChecked(
                False,
                _tr(
                    "The bridge refused the token. Copy it again from the bridge's "
                    "token file, or restart the bridge with --new-token for a new one."
                ),
            )
            return
        except (BridgeError, OSError, ValueError) as exc:  # OSError covers TLS failures and time-outs
            yield ConnectionChecked(False, _tr("Cannot reach the bridge: {error}").format(error=exc))
            return
        if str(health.get("api", "")).split(".")[0] != "1":
            yield ConnectionChecked(
                False, _tr("The bridge speaks API {api}; this QDesk needs API 1.").format(api=health.get("api")), health
            )
            return
        text = _tr("Connected to QDesk Bridge {version} (source: {source}).").format(
            version=health.get("version", "?"), source=health.get("source", "?")
        )
        if health.get("qmt_connected") is False or not health.get("source_connected", True):
            # One translatable sentence pair: Chinese joins sentences without a space.
            text = _tr(
                "{status} QMT is not connected: start the QMT terminal and log in on the bridge machine."
            ).format(status=text)
        yield ConnectionChecked(True, text, health)

    return job


def bridge_history_job(
    url: str, token: str, ca_file: str, store_file: Path, limit: int = BRIDGE_SYMBOLS, years: int = BRIDGE_YEARS
) -> Callable[[CancelToken], Iterator[Progress]]:
    """Download daily bars of the bridge's first `limit` instruments, then import them like CSV files.

    Going through CSV keeps one import path: the same validation, trading days and import log.
    """

    def job(cancel: CancelToken) -> Iterator[Progress]:
        from core.data.importer import import_files
        from core.storage.market_store import MarketStore

        start = dt.date.today() - dt.timedelta(days=365 * years)
        with tempfile.TemporaryDirectory(prefix="qdesk-bridge-history-") as tmp:
            files: list[Path] = []
            with _bridge(url, token, ca_file, timeout=10.0) as (loop, http):
                symbols = [i.symbol for i in loop.call(http.instruments(), DOWNLOAD_TIMEOUT)][:limit]
                for done, symbol in enumerate(symbols, start=1):
                    cancel.raise_if_cancelled()
                    bars = loop.call(http.bars(symbol, "1d", start=start), DOWNLOAD_TIMEOUT)
                    if bars:
                        files.append(_write_csv(Path(tmp), symbol, bars))
                    yield Progress(done, len(symbols) * 2, _tr("Downloading {symbol}").format(symbol=symbol))
            store = MarketStore.open(store_file)
            try:
                offset = len(files)
                for step in import_files(store, files, "1d", cancel):
                    yield replace(step, done=offset + step.done, total=offset + step.total)
            finally:
                store.close()

    return job


def _write_csv(folder: Path, symbol: str, bars: list[Any]) -> Path:
    path = folder / f"{symbol}.csv"
    with_factor = any(b.factor is not None for b in bars)
    lines = ["date,open,high,low,close,volume,amount" + (",factor" if with_factor else "")]
    for b in bars:
        row = [
            b.time.strftime("%Y-%m-%d"),
            repr(b.open),
            repr(b.high),
            repr(b.low),
            repr(b.close),
            repr(b.volume),
            "" if b.amount is None else repr(b.amount),
        ]
        if with_factor:
            row.append("" if b.factor is None else repr(b.factor))
        lines.append(",".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_files_job(store_file: Path, paths: list[str]) -> Callable[[CancelToken], Iterator[Progress]]:
    """The existing importer over the chosen files and folders, in one worker-thread store connection."""

    def job(cancel: CancelToken) -> Iterator[Progress]:
        from core.data.importer import discover_files, import_files
        from core.storage.market_store import MarketStore

        files = discover_files(paths)
        store = MarketStore.open(store_file)
        try:
            yield from import_files(store, files, None, cancel)
        finally:
            store.close()

    return job
