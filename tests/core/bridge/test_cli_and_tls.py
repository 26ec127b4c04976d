"""`main.py bridge` input checks, the clear-text warning, and TLS (https/wss) with a self-signed certificate."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from app.cli import main
from app.cli.bridge_commands import lan_warning
from core.bridge.client import BridgeClient, ConnectionState
from core.bridge.server.runner import BridgeStartError, ServeOptions, ServerThread
from core.bridge.service import BridgeService
from core.bridge.sources.sim import SimSource
from tests.core.bridge.conftest import self_signed_certificate, serve


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--source", "bloomberg"], "unknown --source 'bloomberg'; use one of: xtquant, replay, sim"),
        (["--port", "http"], "--port must be an integer, not 'http'"),
        (["--port", "70000"], "--port must be between 0 and 65535, not 70000"),
        (["--source", "replay"], "--source replay needs --replay-dir DIR"),
        (["--source", "replay", "--replay-dir", "/no/such/folder"], "--replay-dir /no/such/folder is not a folder"),
        (["--source", "replay", "--replay-dir", ".", "--speed", "-2"], "--speed must be between 0.0 and"),
        (["--source", "sim", "--symbols", "0"], "--symbols must be between 1 and"),
        (["--source", "sim", "--interval", "soon"], "--interval must be a number, not 'soon'"),
        (
            ["--source", "sim", "--tls-cert", "/no/cert.pem", "--tls-key", "/no/key.pem"],
            "--tls-cert /no/cert.pem is not a file",
        ),
        (["--source", "sim", "--account", "8800001"], "--qmt-userdata and --account go together"),
        (
            ["--source", "sim", "--qmt-userdata", "/no/such/userdata_mini", "--account", "8800001"],
            "--qmt-userdata: /no/such/userdata_mini is not a folder",
        ),
        (["--source", "sim", "--new-trade-token"], "--new-trade-token needs live orders"),
    ],
)
def test_bad_bridge_arguments_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main(["--data-dir", str(tmp_path), "bridge", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("qdesk: error: ") and message in err[0]


def test_start_on_login_outside_windows_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    if sys.platform == "win32":
        pytest.skip("changes the real Run key on Windows")
    assert main(["--data-dir", str(tmp_path), "bridge", "--start-on-login", "on"]) == 2
    assert capsys.readouterr().err.strip() == "qdesk: error: --start-on-login is available on Windows only"


def test_tls_cert_without_key_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    assert main(["--data-dir", str(tmp_path), "bridge", "--source", "sim", "--tls-cert", str(cert)]) == 2
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err


def test_clear_text_on_a_network_address_is_warned_about() -> None:
    assert lan_warning("127.0.0.1", tls=False) is None and lan_warning("localhost", tls=False) is None
    assert lan_warning("::1", tls=False) is None and lan_warning("192.168.1.20", tls=True) is None
    warning = lan_warning("0.0.0.0", tls=False)
    assert warning is not None and "without TLS" in warning and "--tls-cert" in warning


def test_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    with serve(SimSource(3), tmp_path / "a") as running:
        from core.bridge.auth import TokenStore

        second = ServerThread(
            BridgeService(SimSource(3), TokenStore.in_dir(tmp_path / "b")), ServeOptions(port=running.address.port)
        )
        with pytest.raises(BridgeStartError, match=r"cannot listen on 127\.0\.0\.1:\d+: the port is in use"):
            second.start()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_tls_serves_https_and_wss(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, _ = certificate
    with serve(SimSource(5, interval=0.2), tmp_path, tls=certificate) as running:
        assert running.url.startswith("https://127.0.0.1:")
        with pytest.raises(httpx.TransportError):
            httpx.get(running.url.replace("https", "http") + "/v1/health", timeout=5)
        with pytest.raises(httpx.ConnectError):  # an unknown self-signed certificate is not trusted by default
            httpx.get(running.url + "/v1/health", timeout=5)

        async def body() -> None:
            client = BridgeClient(running.url, token=running.token, ca_file=str(cert))
            assert (await client.health())["status"] == "ok"
            client.start()
            await client.wait_for_state(ConnectionState.CONNECTED)
            await client.close()

        asyncio.run(asyncio.wait_for(body(), 30))


def test_wss_trusts_the_system_store_without_a_ca_file(
    tmp_path: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's SSL_CERT_FILE advice (and any CA-signed certificate): no ca_file, the stream connects."""
    cert, _ = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with serve(SimSource(5, interval=0.2), tmp_path, tls=certificate) as running:

        async def body() -> ConnectionState:
            client = BridgeClient(running.url, token=running.token)
            try:
                assert (await client.health())["status"] == "ok"
                client.start()
                return await client.wait_for_state(ConnectionState.CONNECTED, ConnectionState.AUTH_FAILED)
            finally:
                await client.close()

        assert asyncio.run(asyncio.wait_for(body(), 30)) is ConnectionState.CONNECTED


def test_unusable_certificate_is_one_clear_error(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    with (
        pytest.raises(BridgeStartError, match="cannot load the TLS certificate or key"),
        serve(SimSource(3), tmp_path, tls=(bad, certificate[1])),
    ):
        pass


def test_accepted_connections_send_without_delay() -> None:
    """asyncio turns Nagle off on accepted sockets only when the listener says IPPROTO_TCP (small replies)."""
    import socket

    from core.bridge.server.runner import bind_socket

    async def accept_once() -> int:
        nodelay: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                nodelay.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        listener = bind_socket("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        try:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            value = await asyncio.wait_for(nodelay, 5)
            writer.close()
            return value
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(accept_once()) != 0


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="QMT's xtquant may be installed on Windows")
def test_live_orders_without_xtquant_say_why_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--data-dir",
            str(tmp_path),
            "bridge",
            "--source",
            "sim",
            "--qmt-userdata",
            str(tmp_path),
            "--account",
            "8800001",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "live trading needs Windows with the broker's QMT terminal and its xtquant package" in err[0]


def test_bridge_tokens_list_and_revoke_in_the_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.bridge.auth import TokenStore

    old_config = tmp_path / "config"
    monkeypatch.setenv("QDESK_CONFIG_DIR", str(old_config))
    legacy = TokenStore.in_dir(old_config)
    desk = legacy.create("desk")
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "bridge", "tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "desk" in listed and f"1 token(s) in {data / 'bridge.json'}" in listed  # moved beside the data
    token_id = listed.split()[0]
    assert main(["--data-dir", str(data), "bridge", "tokens", "revoke", token_id]) == 0
    assert f"Revoked {token_id} (desk)" in capsys.readouterr().out
    assert not TokenStore.in_dir(data).verify(desk)
    assert main(["--data-dir", str(data), "bridge", "tokens", "revoke", token_id]) == 2
    err = capsys.readouterr().err.strip()
    assert "no token has the id" in err and "\n" not in err
    assert main(["--data-dir", str(data), "bridge", "tokens", "revoke"]) == 2
