"""`qdesk bridge`: run QDesk Bridge headless (or with its tray icon) on the machine beside QMT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Any

from app.display import NO_TRAY_NOTICE, can_show_tray
from core.bridge import BRIDGE_VERSION, DEFAULT_PORT

SOURCES = ("xtquant", "replay", "sim")
LOG_FILE = "bridge.log"
_DESCRIPTION = (
    "Serve market data to QDesk over HTTP and WebSocket (API under /v1, OpenAPI at /openapi.json, "
    "Prometheus metrics at /metrics). Every request needs the bridge's bearer token: the first start creates "
    "one and prints it once (only its hash is kept, in bridge.json in the data folder); "
    "--token-file keeps it in a file for headless setups. Binds 127.0.0.1 unless --host says otherwise; "
    "use --tls-cert/--tls-key when serving a network."
)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "bridge", help="run QDesk Bridge, the market-data service beside QMT", description=_DESCRIPTION
    )
    p.add_argument(
        "--source",
        default="xtquant",
        metavar="{xtquant,replay,sim}",
        help="xtquant: live QMT data (Windows); replay: recorded data; sim: synthetic load (default: xtquant)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", default=str(DEFAULT_PORT), help=f"TCP port (default: {DEFAULT_PORT}; 0 picks one)")
    p.add_argument("--replay-dir", metavar="DIR", help="replay: folder of recorded CSV files (searched recursively)")
    p.add_argument(
        "--speed",
        default="1",
        metavar="X",
        help="replay: speed factor, 1 = real time, 60 = one minute per second, 0 = as fast as possible",
    )
    p.add_argument("--once", action="store_true", help="replay: stop at the end instead of starting over")
    p.add_argument("--symbols", default="5500", metavar="N", help="sim: number of instruments (default: 5500)")
    p.add_argument(
        "--interval",
        default="3",
        metavar="SECONDS",
        help="sim: seconds between two snapshots of one instrument (default: 3)",
    )
    p.add_argument("--qmt-port", metavar="PORT", help="xtquant: port of QMT's data service (default: discover it)")
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help="read the access token from FILE, or write a new one there if it does not exist",
    )
    p.add_argument("--new-token", action="store_true", help="revoke every token and create a new one")
    p.add_argument("--tls-cert", metavar="PEM", help="TLS certificate (chain) file; serves https/wss")
    p.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    p.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help="address (or network) of a reverse proxy whose X-Forwarded-For is believed; repeatable "
        "(default: none, forwarded headers are ignored)",
    )
    p.add_argument("--log-file", metavar="FILE", help=f"log file (default: DATA_DIR/logs/{LOG_FILE})")
    p.add_argument("--tray", action="store_true", help="show a tray icon with status and controls")
    p.add_argument(
        "--qmt-userdata",
        metavar="DIR",
        help="live orders: QMT's userdata_mini folder (with --account); the bridge starts disarmed",
    )
    p.add_argument("--account", metavar="ID", help="live orders: the QMT stock account to trade (with --qmt-userdata)")
    p.add_argument(
        "--risk-limits",
        metavar="FILE",
        help="live orders: JSON object of pre-trade limits (max_order_value, max_position_weight, max_daily_loss, ...)",
    )
    p.add_argument(
        "--risk-limit",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="live orders: one pre-trade limit, over --risk-limits (repeatable), e.g. max_daily_loss=20000",
    )
    p.add_argument(
        "--new-trade-token",
        action="store_true",
        help="create a token that may also place orders, print it once, and continue",
    )
    p.add_argument(
        "--start-on-login",
        choices=("on", "off"),
        metavar="{on,off}",
        help="Windows: start this bridge (with its tray icon) when the user logs in, or stop doing so; then exit",
    )
    p.set_defaults(handler=cmd_bridge)
    sub = p.add_subparsers(dest="bridge_command", metavar="ACTION")
    tokens = sub.add_parser("tokens", help="list or revoke the bridge's access tokens (no bridge is started)")
    tokens.add_argument("action", choices=("list", "revoke"), help="list: ids, labels, dates; revoke ID: end one")
    tokens.add_argument("token_id", nargs="?", metavar="ID", help="revoke: the id `tokens list` shows")
    tokens.set_defaults(handler=cmd_tokens)


def _number(text: str, name: str, kind: type, low: float, high: float | None = None) -> Any:
    from app.cli import CliError

    try:
        value = kind(text)
    except ValueError:
        raise CliError(f"{name} must be a{'n integer' if kind is int else ' number'}, not {text!r}") from None
    if value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise CliError(f"{name} must be {span}, not {text}")
    return value


def _existing_file(text: str | None, name: str) -> Path | None:
    from app.cli import CliError

    if text is None:
        return None
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise CliError(f"{name} {text} is not a file")
    return path


def _proxies(texts: list[str]) -> tuple[str, ...]:
    import ipaddress

    from app.cli import CliError

    for text in texts:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise CliError(f"--trusted-proxy {text!r} is not an IP address or network") from None
    return tuple(texts)


def _build_source(args: argparse.Namespace, data_dir: Path) -> Any:
    from app.cli import CliError
    from core.bridge.sources.history import StoreHistory
    from core.paths import store_path

    history = StoreHistory.if_present(store_path(data_dir))
    if args.source == "replay":
        from core.bridge.sources.replay import ReplaySource

        if not args.replay_dir:
            raise CliError("--source replay needs --replay-dir DIR (a folder of recorded CSV files)")
        folder = Path(args.replay_dir).expanduser().resolve()
        if not folder.is_dir():
            raise CliError(f"--replay-dir {args.replay_dir} is not a folder")
        speed = _number(args.speed, "--speed", float, 0.0, 1_000_000.0)
        return ReplaySource(folder, speed=speed, loop=not args.once, history=history)
    if args.source == "sim":
        from core.bridge.sources.sim import MAX_SYMBOLS, SimSource

        n = _number(args.symbols, "--symbols", int, 1, MAX_SYMBOLS)
        interval = _number(args.interval, "--interval", float, 0.001, 3600.0)
        return SimSource(n, interval=interval, history=history)
    from core.bridge.sources.xt_source import XtQuantSource

    port = _number(args.qmt_port, "--qmt-port", int, 1, 65535) if args.qmt_port else None
    return XtQuantSource(port=port)


def lan_warning(host: str, tls: bool) -> str | None:
    """The warning printed when the bridge would serve a network in clear text; None when it does not."""
    from core.bridge.server.runner import is_loopback

    if is_loopback(host) or tls:
        return None
    return (
        f"WARNING: listening on {host} without TLS: the token and market data cross the network "
        "in clear text; pass --tls-cert and --tls-key"
    )


def setup_logging(path: Path) -> None:
    """Log to stderr and to a rotating file (the tray's "Open log" shows it); tokens are never logged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    to_file = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    to_file.setFormatter(fmt)
    to_err = logging.StreamHandler(sys.stderr)
    to_err.setFormatter(fmt)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(to_file)
    root.addHandler(to_err)


def cmd_bridge(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.bridge.auth import TokenError, prepare_token
    from core.bridge.server.runner import ServeOptions
    from core.bridge.service import BridgeService

    if args.source not in SOURCES:
        raise CliError(f"unknown --source {args.source!r}; use one of: {', '.join(SOURCES)}")
    if args.start_on_login:
        return _start_on_login(args.start_on_login == "on")
    if args.tray and not can_show_tray(sys.platform, os.environ):
        # Qt would abort without a screen: a server or a service gets the bridge without its icon.
        print(NO_TRAY_NOTICE, file=sys.stderr, flush=True)
        args.tray = False
    port = _number(args.port, "--port", int, 0, 65535)
    cert, key = _existing_file(args.tls_cert, "--tls-cert"), _existing_file(args.tls_key, "--tls-key")
    if (cert is None) != (key is None):
        raise CliError("--tls-cert and --tls-key go together")
    source = _build_source(args, data_dir)
    token_file = Path(args.token_file).expanduser().resolve() if args.token_file else None
    try:
        tokens = _token_store(data_dir)
        setup = prepare_token(tokens, token_file, renew=args.new_token)
    except (TokenError, OSError, ValueError) as exc:
        raise CliError(str(exc)) from None
    log_path = Path(args.log_file).expanduser().resolve() if args.log_file else data_dir / "logs" / LOG_FILE
    try:
        setup_logging(log_path)
    except OSError as exc:
        raise CliError(f"cannot write the log file {log_path}: {exc.strerror or exc}") from None
    options = ServeOptions(
        host=args.host, port=port, tls_cert=cert, tls_key=key, trusted_proxies=_proxies(args.trusted_proxy)
    )
    warning = lan_warning(args.host, options.tls)
    if warning:
        logging.getLogger("qdesk.bridge").warning(warning)  # to stderr and the log file the tray shows
    service = BridgeService(source, tokens)
    _attach_trading(args, service, tokens, data_dir)
    if args.tray:
        return _run_tray(service, options, setup, token_file, log_path, args, args.host if warning else None)
    return _run_headless(service, options, setup, token_file)


def _token_store(data_dir: Path) -> Any:
    """bridge.json in the data folder, beside trade_tokens.json; one left in the old config folder moves here."""
    import shutil

    from core.bridge.auth import CONFIG_FILE, TokenStore
    from core.settings import config_dir

    path = data_dir / CONFIG_FILE
    old = config_dir() / CONFIG_FILE
    if not path.exists() and old.is_file() and old != path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(old, path)  # tokens made before keep working; the old file is left for older versions
    return TokenStore(path)


def cmd_tokens(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.bridge.auth import TokenError

    try:
        store = _token_store(data_dir)
        if args.action == "list":
            if args.token_id:
                raise CliError("tokens list takes no ID")
            entries = store.entries()
            for e in entries:
                print(f"{e['id']}  {e['created'] or '-':25}  {e['label']}")
            print(f"{len(entries)} token(s) in {store.path}")
            return 0
        if not args.token_id:
            raise CliError("tokens revoke needs the ID that `bridge tokens list` shows")
        label = store.revoke(args.token_id)
    except (TokenError, OSError) as exc:
        raise CliError(str(exc)) from None
    print(f"Revoked {args.token_id} ({label}); a running bridge refuses it from now on")
    return 0


def _attach_trading(args: argparse.Namespace, service: Any, tokens: Any, data_dir: Path) -> None:
    """Live orders through QMT when asked for; a trade-scoped token on request. Reading needs neither."""
    from app.cli import CliError
    from core.bridge.sources.base import SourceUnavailable
    from core.bridge.trading.scopes import TradeScopes, create_trade_token

    if bool(args.qmt_userdata) != bool(args.account):
        raise CliError("--qmt-userdata and --account go together")
    if args.qmt_userdata:
        from core.bridge.trading.setup import qmt_trading

        userdata = Path(args.qmt_userdata).expanduser()
        if not userdata.is_dir():
            raise CliError(f"--qmt-userdata: {userdata} is not a folder (QMT's userdata_mini)")
        from core.trading.limits import LimitsError, limits_from_flags, load_limits

        try:
            limits = load_limits(Path(args.risk_limits).expanduser()) if args.risk_limits else None
            limits = limits_from_flags(args.risk_limit, limits)
        except LimitsError as exc:
            raise CliError(str(exc)) from None
        try:
            qmt_trading(service, data_dir, userdata, args.account, limits=limits)
        except SourceUnavailable as exc:
            raise CliError(str(exc)) from None
    if (args.risk_limits or args.risk_limit) and not args.qmt_userdata:
        raise CliError("--risk-limits and --risk-limit need live orders (--qmt-userdata and --account)")
    if args.new_trade_token:
        if not args.qmt_userdata:
            raise CliError("--new-trade-token needs live orders (--qmt-userdata and --account)")
        token = create_trade_token(tokens, TradeScopes.in_dir(data_dir))
        print(f"New trading token (shown once; it may place orders when the bridge is armed): {token}")


def _start_on_login(on: bool) -> int:
    from app.bridge_tray import LoginItem, login_command
    from app.cli import CliError

    # The bridge as started now, minus this option: that is what the Run key starts at login.
    argv = [str(Path(sys.argv[0]).resolve()), *sys.argv[1:]] if sys.argv else []
    kept, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--start-on-login"):
            skip = arg == "--start-on-login"
            continue
        kept.append(arg)
    item = LoginItem(login_command(kept))
    if not item.supported:
        raise CliError("--start-on-login is available on Windows only")
    try:
        item.set(on)
    except OSError as exc:
        raise CliError(f"cannot change start on login: {exc}") from None
    print(f"Start on login {'on: ' + item.command if on else 'off'}")
    return 0


def _run_tray(
    service: Any,
    options: Any,
    setup: Any,
    token_file: Path | None,
    log_path: Path,
    args: argparse.Namespace,
    clear_text_host: str | None,
) -> int:
    from app.bridge_tray import run_tray  # Qt is loaded only for the tray
    from app.cli import CliError
    from core.bridge.server.runner import BridgeStartError
    from core.bridge.sources.base import SourceUnavailable

    try:
        return run_tray(
            service,
            options,
            setup,
            token_file,
            log_path,
            lang=getattr(args, "lang", None) or "en",
            argv=[str(Path(sys.argv[0]).resolve()), *sys.argv[1:]] if sys.argv else [],
            clear_text_host=clear_text_host,
        )
    except (SourceUnavailable, BridgeStartError) as exc:
        raise CliError(str(exc)) from None


def _run_headless(service: Any, options: Any, setup: Any, token_file: Path | None) -> int:
    from app.cli import CliError
    from core.bridge.auth import commit_token
    from core.bridge.server.runner import BridgeStartError, run_bridge
    from core.bridge.sources.base import SourceUnavailable
    from core.util.memory import favour_throughput_gc

    def ready(address: Any, _server: Any) -> None:
        favour_throughput_gc()  # serving from here on: start-up objects are done with
        commit_token(service.tokens, setup, token_file)
        print(
            f"QDesk Bridge {BRIDGE_VERSION}: {service.source.name} source on {address.http_url} "
            f"(API /v1; Ctrl+C stops)",
            flush=True,
        )
        if setup.created and token_file is not None:
            print(f"New access token written to {token_file}", flush=True)
        elif setup.created:
            print(f"New access token (shown once; paste it into QDesk's settings now): {setup.token}", flush=True)
        elif setup.origin == "stored":
            print("Using the stored access token(s); --new-token replaces them", flush=True)

    try:
        asyncio.run(run_bridge(service, options, ready))
    except (SourceUnavailable, BridgeStartError) as exc:
        raise CliError(str(exc)) from None
    return 0
