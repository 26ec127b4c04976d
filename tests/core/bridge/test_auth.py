"""Bearer-token auth on every HTTP endpoint and on the WebSocket, over a real loopback bridge."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from core.bridge.auth import (
    TokenError,
    TokenStore,
    commit_token,
    hash_token,
    new_token,
    prepare_token,
    write_token_file,
)
from core.bridge.service import BridgeSettings
from core.bridge.sources.sim import SimSource
from tests.core.bridge.conftest import serve

PATHS = [
    "/v1/health",
    "/v1/instruments",
    "/v1/bars?symbol=600000.SH",
    "/v1/quotes?symbols=600000.SH",
    "/metrics",
    "/openapi.json",
    "/v1/no-such-endpoint",
]


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    # One bridge for the module: the refusals below must not change its state anyway.
    with serve(SimSource(20, interval=0.5), tmp_path_factory.mktemp("auth")) as running:
        yield running


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("header", [None, "Bearer not-the-token-at-all-0000000", "Basic dXNlcjpwYXNz", "Bearer"])
def test_every_endpoint_refuses_without_a_valid_token(bridge, path: str, header: str | None) -> None:  # noqa: ANN001
    with bridge.http(token=None) as http:
        response = http.get(path, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized" and body["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "quotes" not in body and "instruments" not in body


def test_a_valid_token_opens_every_endpoint(bridge) -> None:  # noqa: ANN001
    with bridge.http() as http:
        for path in PATHS[:-1]:
            assert http.get(path).status_code == 200, path
        assert http.get(PATHS[-1]).status_code == 404


def _metric(http, line_prefix: str) -> float:  # noqa: ANN001
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_failed_logins_are_counted_in_metrics(bridge) -> None:  # noqa: ANN001
    failures = 'qdesk_bridge_auth_failures_total{kind="http"}'
    refused = 'qdesk_bridge_http_requests_total{method="GET",route="/v1/health",status="401"}'
    with bridge.http() as http:
        before = _metric(http, failures), _metric(http, refused)
        with bridge.http(token="wrong-token-wrong-token-wrong") as bad:
            for _ in range(3):
                assert bad.get("/v1/health").status_code == 401
        after = _metric(http, failures), _metric(http, refused)
    assert after == (before[0] + 3, before[1] + 3)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-wrong-token-wrong"}])
def test_websocket_is_refused_before_any_frame(bridge, headers: dict[str, str]) -> None:  # noqa: ANN001
    with pytest.raises(InvalidStatus) as refused:
        connect(bridge.ws_url, additional_headers=headers, open_timeout=5)
    response = refused.value.response
    assert response.status_code == 401
    assert json.loads(response.body)["error"] == "unauthorized"
    assert bridge.service.fanout.clients == 0


def test_websocket_with_the_token_gets_hello(bridge) -> None:  # noqa: ANN001
    with connect(bridge.ws_url, additional_headers={"Authorization": f"Bearer {bridge.token}"}) as ws:
        hello = json.loads(ws.recv(timeout=5))
    assert hello["type"] == "hello" and hello["api"] == "1" and hello["source"] == "sim"


def test_repeated_failures_lock_the_address_out(bridge_factory) -> None:  # noqa: ANN001
    settings = BridgeSettings(auth_failures_per_min=5)
    with bridge_factory(SimSource(5), settings=settings) as running:
        with running.http(token="wrong-token-wrong-token-wrong") as bad:
            codes = [bad.get("/v1/health").status_code for _ in range(7)]
        with running.http() as good:
            locked = good.get("/v1/health")
    assert codes == [401] * 5 + [429] * 2
    assert locked.status_code == 429 and locked.headers["retry-after"] == "60"


# -- the token store ------------------------------------------------------------------------------
def test_only_the_hash_of_a_token_is_stored(tmp_path: Path) -> None:
    store = TokenStore.in_dir(tmp_path)
    token = store.create("first start")
    text = (tmp_path / "bridge.json").read_text(encoding="utf-8")
    assert token not in text and hash_token(token) in text
    assert stat.S_IMODE((tmp_path / "bridge.json").stat().st_mode) == 0o600
    reopened = TokenStore.in_dir(tmp_path)
    assert reopened.verify(token) and not reopened.verify(token + "x") and not reopened.verify("")


def test_first_start_creates_a_token_valid_only_once_committed(tmp_path: Path) -> None:
    store = TokenStore.in_dir(tmp_path)
    setup = prepare_token(store, None)
    assert setup.created and setup.origin == "new" and setup.token
    assert not store.verify(setup.token)  # a start that fails leaves no token nobody was shown
    commit_token(store, setup, None)
    assert store.verify(setup.token)
    again = prepare_token(TokenStore.in_dir(tmp_path), None)
    assert again.origin == "stored" and again.token is None and not again.created


def test_token_file_is_written_then_read(tmp_path: Path) -> None:
    store = TokenStore.in_dir(tmp_path / "cfg")
    token_file = tmp_path / "secret" / "bridge.token"
    setup = prepare_token(store, token_file)
    commit_token(store, setup, token_file)
    assert token_file.read_text(encoding="utf-8").strip() == setup.token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    later = prepare_token(TokenStore.in_dir(tmp_path / "cfg"), token_file)
    assert later.origin == "file" and later.token == setup.token and not later.created


def test_new_token_revokes_the_old_ones(tmp_path: Path) -> None:
    store = TokenStore.in_dir(tmp_path)
    old = store.create("a")
    setup = prepare_token(store, None, renew=True)
    commit_token(store, setup, None)
    assert store.verify(setup.token) and not store.verify(old) and len(store) == 1


@pytest.mark.parametrize("content", ["", "short", "two tokens-with-space-in-the-middle"])
def test_bad_token_file_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.token"
    write_token_file(path, content)
    with pytest.raises(TokenError, match=r"token file .*t\.token must hold one token of at least 32"):
        prepare_token(TokenStore.in_dir(tmp_path), path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"tokens": [', "bridge.json:1: not valid JSON"),
        ('{"tokens": "abc"}', "field 'tokens' must be a list"),
        ("[1, 2]", "field 'tokens' must be a list"),
    ],
)
def test_broken_config_is_one_clear_error_and_left_alone(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bridge.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TokenError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        TokenStore.in_dir(tmp_path)
    assert path.read_text(encoding="utf-8") == content  # nothing stored is lost or rewritten


def test_a_new_token_in_the_file_revokes_the_one_it_replaced(tmp_path: Path) -> None:
    token_file = tmp_path / "bridge.token"
    store = TokenStore.in_dir(tmp_path / "cfg")
    first = new_token()
    write_token_file(token_file, first)
    prepare_token(store, token_file)
    assert store.verify(first)
    second = new_token()
    write_token_file(token_file, second)
    prepare_token(TokenStore.in_dir(tmp_path / "cfg"), token_file)
    restarted = TokenStore.in_dir(tmp_path / "cfg")
    assert restarted.verify(second) and not restarted.verify(first) and len(restarted) == 1


@pytest.mark.parametrize(
    ("content", "mode", "fragment"),
    [
        ("abcdefghij" * 2, 0o600, "at least 32"),  # the audit's 20-character token
        ("ab" * 20, 0o600, "too easy to guess"),
        (None, 0o644, "can be read by other users (mode 644); run: chmod 600"),
    ],
)
def test_weak_or_exposed_token_files_are_refused(tmp_path: Path, content: str | None, mode: int, fragment: str) -> None:
    path = tmp_path / "t.token"
    write_token_file(path, content or new_token())
    path.chmod(mode)
    with pytest.raises(TokenError, match=re.escape(fragment)):
        prepare_token(TokenStore.in_dir(tmp_path), path)


def test_a_revocation_reaches_the_running_store(tmp_path: Path) -> None:
    running = TokenStore.in_dir(tmp_path)
    keep, drop = running.create("desk"), running.create("laptop")
    assert running.verify(drop)
    other_process = TokenStore.in_dir(tmp_path)  # what `bridge tokens revoke` opens
    (entry,) = [e for e in other_process.entries() if e["label"] == "laptop"]
    assert other_process.revoke(entry["id"]) == "laptop"
    assert not running.verify(drop) and running.verify(keep)
    with pytest.raises(TokenError, match="no token has the id"):
        other_process.revoke("ffffffffffff")
