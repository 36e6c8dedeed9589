"""Sender ids scoped by channel, the API token guard, and secrets kept in mode-0600 files."""

import json
import stat
import threading
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from channels import guard
from channels.identity import channel_of, client_id, platform_id, scoped
from pause import keys
from pause.settings import load_settings


def test_sender_ids_are_scoped_by_their_channel() -> None:
    assert scoped("telegram", "12345") == "telegram:12345"
    assert scoped("rest", "telegram:12345") == "rest:telegram:12345"
    assert channel_of("rest:telegram:12345") == "rest"
    assert channel_of("12345") is None and channel_of("evil:1") is None
    assert platform_id("telegram:12345", "telegram") == "12345"
    assert platform_id("slack:U1", "slack") == "U1"
    with pytest.raises(ValueError):
        scoped("carrier-pigeon", "1")
    with pytest.raises(ValueError):
        scoped("rest", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("me", "me"), ("telegram:1", "telegram:1"), ("x" * 128, "x" * 128), ("x" * 129, None),
     ("", None), (None, None), (42, None), (["me"], None), ("a\nb", None), ("a\x00b", None)],
)
def test_client_chosen_ids(value: Any, expected: Optional[str]) -> None:
    assert client_id(value) == expected


def test_a_secret_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    settings = load_settings({"PAUSE_VAR_DIR": str(tmp_path / "var")})
    values = []

    def read() -> None:
        values.append(keys.api_token(settings))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(values)) == 1 and len(values[0]) >= 32
    path = settings.api_token_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == values[0]
    assert keys.session_secret(settings) != values[0]
    assert stat.S_IMODE(settings.session_secret_file.stat().st_mode) == 0o600


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    settings = load_settings({"PAUSE_VAR_DIR": str(tmp_path), "RASA_API_TOKEN": "from-env"})
    assert keys.api_token(settings) == "from-env"
    assert not settings.api_token_file.exists()


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/", True),
        ("/socket.io/", True),
        ("/socket.io", True),
        ("/webhooks/telegram/webhook", True),
        ("/webhooks/slack/webhook", True),
        ("/webhooks/rest/webhook", False),
        ("/webhooks/plaintext/webhook", False),
        ("/model/parse", False),
        ("/conversations/telegram:1/tracker", False),
        ("/status", False),
        ("/socket.iox", False),
        ("//webhooks/telegram/webhook", False),
    ],
)
def test_which_routes_are_public(path: str, public: bool) -> None:
    assert guard.is_public(path) is public


class FakeRequest:
    def __init__(
        self, path: str, headers: Optional[Dict[str, str]] = None, token: Optional[str] = None,
        body: bytes = b"",
    ) -> None:
        self.path = path
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.args = {"token": token} if token is not None else {}
        self.body = body


@pytest.mark.parametrize(
    ("headers", "token", "ok"),
    [
        ({"Authorization": "Bearer right"}, None, True),
        ({"Authorization": "bearer right"}, None, True),
        ({}, "right", True),
        ({}, None, False),
        ({"Authorization": "Bearer wrong"}, None, False),
        ({"Authorization": "Basic right"}, None, False),
        ({}, "wrong", False),
        ({}, "", False),
        ({"X-Gateway-Secret": "gw"}, None, False),  # only on the plain-text webhook
    ],
)
def test_the_token_as_bearer_or_query(headers: Dict[str, str], token: Any, ok: bool) -> None:
    settings = load_settings({"PLAINTEXT_GATEWAY_SECRET": "gw"})
    request = FakeRequest("/webhooks/rest/webhook", headers, token)
    assert guard.authorized(request, "right", settings) is ok  # type: ignore[arg-type]


def test_the_plain_text_webhook_takes_the_gateway_secret() -> None:
    settings = load_settings({"PLAINTEXT_GATEWAY_SECRET": "gw"})
    path = "/webhooks/plaintext/webhook"
    for headers, ok in [({"X-Gateway-Secret": "gw"}, True), ({"X-Gateway-Secret": "no"}, False)]:
        assert guard.authorized(FakeRequest(path, headers), "right", settings) is ok  # type: ignore
    unset = load_settings({})
    request = FakeRequest(path, {"X-Gateway-Secret": ""})
    assert guard.authorized(request, "right", unset) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({"sender": "me"}).encode(), 400),
        (json.dumps({"sender": "", "message": "hi"}).encode(), 400),
        (json.dumps({"sender": "x" * 200, "message": "hi"}).encode(), 400),
        (json.dumps({"sender": "me", "message": 5}).encode(), 400),
        (json.dumps({"sender": "me", "message": "x" * 5000}).encode(), 413),
        (b" " * 20000, 413),
        (b"\xff\xfe", 400),
    ],
)
def test_bad_bodies_get_a_clear_status(body: bytes, status: int) -> None:
    found = guard.read_message(FakeRequest("/webhooks/rest/webhook", body=body), "rest", load_settings({}))  # type: ignore[arg-type]  # noqa: E501
    assert not isinstance(found, tuple) and found.status == status
    assert b"Traceback" not in found.body


def test_a_good_body() -> None:
    body = json.dumps({"sender": "me", "message": "hi"}).encode()
    request = FakeRequest("/webhooks/rest/webhook", body=body)
    assert guard.read_message(request, "rest", load_settings({})) == ("me", "hi")  # type: ignore


def test_the_rate_limiter_slides_its_window() -> None:
    from channels.limits import RateLimiter

    now = [1000.0]
    limiter = RateLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # per key
    now[0] += 30
    assert not limiter.allow("a")  # refused events are not counted, the window still full
    now[0] += 31
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert RateLimiter(0, 60).allow("x")  # 0 switches it off


def test_the_limiter_forgets_the_least_recent_keys() -> None:
    from channels.limits import RateLimiter

    limiter = RateLimiter(1, 60, capacity=2)
    assert limiter.allow("a") and limiter.allow("b") and limiter.allow("c")
    assert limiter.allow("a")  # "a" was dropped to keep two keys
    assert not limiter.allow("c")
