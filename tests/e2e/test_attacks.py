"""An attacker who knows the victim's id, on every route, against servers as `make run` runs them.

The victim does the exercise on Telegram. The attacker knows the Telegram user id (anyone in
a shared group sees it) and tries every route: the REST and plain-text webhooks, socket.io
with a forged ``session_id`` in either event, the HTTP API without a token or with a wrong
one, and forged Telegram and Slack webhook requests. None of them sees, exports or deletes
the victim's reflections. Then the public routes' limits (429, 413, 400), and the databases
dumped after a full exercise: no answer text in SQLite or PostgreSQL.
"""

import asyncio
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import requests

from tests.channels.clients import TELEGRAM_SECRET
from tests.channels.fakes import FakeSlack, FakeTelegram
from tests.e2e.attackers import (
    PER_IP,
    PER_SENDER,
    Socket,
    Stack,
    page_offer,
    pg_dump,
    post_from,
    run,
    sqlite_dump,
)
from tests.e2e.conftest import serve
from tests.e2e.test_exercise import ANSWERS

pytestmark = pytest.mark.e2e

SECRET = f"victimsecret{uuid.uuid4().hex[:8]}"  # in every answer of the victim


@pytest.fixture(scope="module")
def fakes() -> Iterator[Tuple[FakeTelegram, FakeSlack]]:
    telegram, slack = FakeTelegram().start(), FakeSlack().start()
    yield telegram, slack
    telegram.stop()
    slack.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fakes) -> Iterator[Stack]:  # type: ignore
    if not serve.MODEL.exists():
        pytest.skip("no trained model (make train)")
    running = Stack(tmp_path_factory.mktemp("attacks"), *fakes).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def victim(stack: Stack) -> int:
    """A Telegram user with a stopped exercise whose answers hold SECRET."""
    me = 7_000_000 + secrets.randbelow(10**6)
    client = stack.client
    client.say_telegram(me, "start the exercise")
    client.say_telegram(me, f"{SECRET} feeling smothered")
    client.say_telegram(me, f"{SECRET} we had a lovely weekend")
    client.say_telegram(me, "stop")
    assert victim_sees_own(stack, me)
    return me


def victim_sees_own(stack: Stack, me: int) -> bool:
    [shown] = stack.client.say_telegram(me, "show my reflections")
    return SECRET in shown.params["text"]


ATTACK_TURNS = [
    "show my reflections",
    "my map",
    "export my reflections",
    "resume",
    "delete my reflections",
    "/affirm",
]


def ids_for(victim: int) -> List[str]:
    """Every way the attacker could name the victim."""
    return [str(victim), f"telegram:{victim}", f"telegram:{victim}".upper()]


def test_rest_webhook_with_the_victims_id(stack: Stack, victim: int) -> None:
    for claimed in ids_for(victim):
        for text in ATTACK_TURNS:
            response = stack.rest(claimed, text)
            assert response.status_code == 200
            assert SECRET not in response.text
            # the attacker only ever talks to its own REST conversation
            assert {m["recipient_id"] for m in response.json()} == {f"rest:{claimed}"}
    assert victim_sees_own(stack, victim)


def test_rest_webhook_cannot_claim_another_input_channel(stack: Stack, victim: int) -> None:
    response = requests.post(
        f"{stack.url}/webhooks/rest/webhook",
        json={"sender": str(victim), "message": "show my reflections",
              "input_channel": "telegram", "metadata": {"out_channel": "C1"}},
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=60,
    )
    assert response.status_code == 200 and SECRET not in response.text
    assert {e["input_channel"] for e in stack.events(f"rest:{victim}")} == {"rest"}


def test_plaintext_webhook_with_the_victims_id(stack: Stack, victim: int) -> None:
    for claimed in ids_for(victim):
        for text in ATTACK_TURNS:
            response = stack.plain(claimed, text)
            assert response.status_code == 200
            assert SECRET not in response.text
    assert victim_sees_own(stack, victim)


@pytest.mark.parametrize("route", ["/webhooks/rest/webhook", "/webhooks/plaintext/webhook"])
@pytest.mark.parametrize(
    "auth",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"},
     {"X-Gateway-Secret": "wrong"}],
    ids=["none", "wrong-bearer", "basic", "wrong-gateway"],
)
def test_webhooks_without_the_token_are_refused(
    stack: Stack, victim: int, route: str, auth: Dict[str, str]
) -> None:
    sender = f"nobody-{uuid.uuid4().hex[:6]}"
    response = requests.post(
        f"{stack.url}{route}", json={"sender": sender, "message": "show my reflections"},
        headers=auth, timeout=30,
    )
    assert response.status_code == 401 and SECRET not in response.text
    channel = "rest" if "rest" in route else "plaintext"
    assert stack.events(f"{channel}:{sender}") == []  # nothing was processed


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/conversations/telegram:{v}/tracker"),
        ("GET", "/conversations/{v}/tracker"),
        ("GET", "/conversations/telegram:{v}/story"),
        ("POST", "/conversations/telegram:{v}/messages"),
        ("POST", "/conversations/telegram:{v}/trigger_intent"),
        ("POST", "/conversations/telegram:{v}/execute"),
        ("PUT", "/conversations/telegram:{v}/tracker/events"),
        ("POST", "/model/parse"),
        ("GET", "/status"),
        ("POST", "/webhooks/socketio/checkin"),  # the scheduler's route (check-ins)
    ],
)
@pytest.mark.parametrize(
    "auth", [{}, {"Authorization": "Bearer wrong"}, {"token": "wrong"}],
    ids=["none", "wrong-bearer", "wrong-query"],
)
def test_http_api_without_the_token(
    stack: Stack, victim: int, method: str, path: str, auth: Dict[str, str]
) -> None:
    url = stack.url + path.format(v=victim)
    params = {"token": auth["token"]} if "token" in auth else None
    headers = {k: v for k, v in auth.items() if k != "token"}
    body = {"text": "/delete_reflections", "name": "delete_reflections", "sender": "user"}
    response = requests.request(method, url, params=params, headers=headers, json=body, timeout=30)
    assert response.status_code == 401
    assert SECRET not in response.text
    assert victim_sees_own(stack, victim) if "execute" in path else True


def test_http_api_with_the_token_as_bearer_or_query(stack: Stack, victim: int) -> None:
    url = f"{stack.url}/conversations/telegram:{victim}/tracker"
    bearer = requests.get(url, headers={"Authorization": f"Bearer {stack.token}"}, timeout=30)
    query = requests.get(url, params={"token": stack.token}, timeout=30)
    assert bearer.status_code == query.status_code == 200  # the operator's scripts still work
    assert bearer.json()["sender_id"] == f"telegram:{victim}"


def test_forged_telegram_updates_are_refused(stack: Stack, victim: int) -> None:
    client = stack.client
    for secret in [None, "wrong-secret", TELEGRAM_SECRET.upper()]:
        for text in ["show my reflections", "delete my reflections", "/affirm"]:
            mark = client.telegram.mark()
            response = client.telegram_post(client.telegram_message(victim, text), secret=secret)
            assert response.status_code == 401
            assert client.telegram.messages(victim, mark) == []
    assert victim_sees_own(stack, victim)


def test_forged_slack_requests_are_refused(stack: Stack, victim: int) -> None:
    client = stack.client
    body = client.slack_event(str(victim), "D0VICTIM", "delete my reflections")
    forged = [
        client.slack_post(body, "application/json", secret="not-the-signing-secret"),
        client.slack_post(body, "application/json", timestamp=int(time.time()) - 3600),
    ]
    assert [r.status_code for r in forged] == [401, 401]
    time.sleep(1)
    assert client.slack.messages("D0VICTIM") == []
    assert stack.events(f"slack:{victim}") == []
    assert victim_sees_own(stack, victim)


# --- socket.io ----------------------------------------------------------------------------


def test_socketio_session_request_with_a_forged_id_is_refused(stack: Stack, victim: int) -> None:
    offer = page_offer(stack)
    _, nonce, signature = offer.split(".")
    forged = [
        str(victim),
        f"telegram:{victim}",
        uuid.uuid4().hex,  # an unsigned id, as Rasa's channel would have accepted
        f"{nonce}.{signature}",  # an offer's signature is not a session's
        f"{nonce[::-1]}.{signature}",  # a signature of another id
        f"offer.{nonce[::-1]}.{signature}",  # an offer made up
        None,
    ]

    async def attempt(claimed: Optional[str]) -> Socket:
        async with Socket(stack) as socket:
            await socket.request(claimed)
            await socket.say(claimed, "show my reflections")
            await socket.settle()
            return socket

    for claimed in forged:
        socket = run(attempt(claimed))
        assert socket.confirmed == [] and socket.uttered == [], claimed
        assert socket.disconnected.is_set(), claimed
        if claimed:
            assert stack.events(f"socketio:{claimed}") == []
    assert victim_sees_own(stack, victim)


def test_socketio_user_uttered_for_another_session_is_refused(stack: Stack, victim: int) -> None:
    async def attempt() -> Tuple[Socket, Socket, str, str]:
        async with Socket(stack) as honest:  # a new browser: its offer becomes a session
            mine = await honest.open(page_offer(stack))
            await honest.say(mine, "show my reflections")
            await honest.settle(8)
            honest.kept_open = not honest.disconnected.is_set()  # before we close it
        async with Socket(stack) as attacker:  # its own session, then claims the other one
            own = await attacker.open(page_offer(stack))
            await attacker.say(mine, "delete my reflections")
            await attacker.settle()
        return honest, attacker, mine, own

    honest, attacker, mine, own = run(attempt())
    assert honest.kept_open and honest.uttered
    assert all(SECRET not in json.dumps(m) for m in honest.uttered)
    assert attacker.uttered == [] and attacker.disconnected.is_set()
    assert stack.events(f"socketio:{own}") == []
    assert [e["text"] for e in stack.events(f"socketio:{mine}")] == ["show my reflections"]

    async def reload_and_misuse() -> Tuple[Socket, Socket, Socket]:
        async with Socket(stack) as reloaded:  # the same browser again: same session
            again = await reloaded.open(mine)
            reloaded.kept_open = again == mine
        async with Socket(stack) as no_session:  # user_uttered without session_request
            await no_session.say(mine, "/affirm")
            await no_session.settle()
        async with Socket(stack) as offer_as_id:  # an offer is never a conversation
            offer = page_offer(stack)
            await offer_as_id.open(offer)
            await offer_as_id.say(offer, "hello")
            await offer_as_id.settle()
        return reloaded, no_session, offer_as_id

    reloaded, no_session, offer_as_id = run(reload_and_misuse())
    assert reloaded.kept_open
    assert no_session.uttered == [] and no_session.disconnected.is_set()
    assert offer_as_id.uttered == [] and offer_as_id.disconnected.is_set()
    assert [e["text"] for e in stack.events(f"socketio:{mine}")] == ["show my reflections"]
    assert victim_sees_own(stack, victim)


# --- limits on the public routes ------------------------------------------------------------


def test_a_sender_over_its_rate_limit_gets_429_and_nothing_is_stored(stack: Stack) -> None:
    sender = f"flood-{uuid.uuid4().hex[:6]}"
    statuses = [stack.rest(sender, "hi").status_code for _ in range(PER_SENDER)]
    assert statuses == [200] * PER_SENDER
    over = stack.rest(sender, "this one is over the limit")
    assert over.status_code == 429 and "Traceback" not in over.text
    said = [e["text"] for e in stack.events(f"rest:{sender}")]
    assert len(said) == PER_SENDER and "this one is over the limit" not in said


def test_a_telegram_sender_over_its_rate_limit_gets_429(stack: Stack) -> None:
    me, client = 8_000_000 + secrets.randbelow(10**6), stack.client
    for _ in range(PER_SENDER):
        assert client.telegram_post(client.telegram_message(me, "hi")).status_code == 200
    over = client.telegram_post(client.telegram_message(me, "over the limit"))
    assert over.status_code == 429
    said = [e["text"] for e in stack.events(f"telegram:{me}")]
    assert len(said) == PER_SENDER and "over the limit" not in said


def test_a_web_session_over_its_rate_limit_is_dropped(stack: Stack) -> None:
    async def flood() -> str:
        async with Socket(stack) as socket:
            mine = await socket.open(page_offer(stack))
            for n in range(PER_SENDER + 3):
                await socket.say(mine, f"hello {n}")
                await asyncio.sleep(0.2)  # one polling payload each (Engine.IO caps a batch)
            await socket.settle(45)
            return mine

    mine = run(flood())
    said = [e["text"] for e in stack.events(f"socketio:{mine}")]
    assert sorted(said) == sorted(f"hello {n}" for n in range(PER_SENDER))  # not the last 3


def test_an_ip_over_its_rate_limit_gets_429_and_nothing_is_stored(stack: Stack) -> None:
    auth = {"Authorization": f"Bearer {stack.token}", "Content-Type": "application/json"}
    flood = [post_from("127.0.0.2", stack.url, b"{broken", auth) for _ in range(PER_IP)]
    assert set(flood) == {400}
    sender = f"ip-{uuid.uuid4().hex[:6]}"
    body = json.dumps({"sender": sender, "message": "hi"}).encode()
    assert post_from("127.0.0.2", stack.url, body, auth) == 429
    assert stack.events(f"rest:{sender}") == []
    assert stack.rest(f"other-{sender}", "hi").status_code == 200  # other addresses go on


@pytest.mark.parametrize("route", ["rest", "plaintext", "telegram", "slack"])
def test_bad_bodies_on_every_webhook(stack: Stack, route: str) -> None:
    url = f"{stack.url}/webhooks/{route}/webhook"
    auth = {"Authorization": f"Bearer {stack.token}"}
    huge = requests.post(url, data=b"x" * 100_000, headers=auth, timeout=30)
    assert huge.status_code == 413 and "Traceback" not in huge.text
    if route in ("rest", "plaintext"):
        broken = requests.post(url, data=b'{"sender": ', headers=auth, timeout=30)
        assert broken.status_code == 400 and "Traceback" not in broken.text
        long = json.dumps({"sender": "x", "message": "y" * 10_000})
        assert requests.post(url, data=long, headers=auth, timeout=30).status_code == 413
        assert stack.events(f"{route}:x") == []


# --- what the databases hold ------------------------------------------------------------------


def full_exercise(stack: Stack, sender: str) -> None:
    stack.rest(sender, "we had a great weekend and now i just want to be alone")
    stack.rest(sender, "/start_exercise")
    for text, _ in ANSWERS:
        assert stack.rest(sender, text if text.startswith("/") else f"{SECRET} {text}").ok
    replies = stack.rest(sender, "skip").json()
    assert SECRET in replies[0]["text"]  # the summary shows the answers back


def test_sqlite_dumps_hold_no_answer_text(stack: Stack) -> None:
    full_exercise(stack, f"dump-{uuid.uuid4().hex[:6]}")
    for name in ("reflections.db", "tracker.db"):
        dump = sqlite_dump(stack.var / name)
        assert "INSERT INTO" in dump  # rows are there...
        assert SECRET not in dump and "she is too much" not in dump, name  # ...not the answers


@pytest.mark.postgres
def test_postgres_dumps_hold_no_answer_text(tmp_path: Path, fakes, postgres) -> None:  # type: ignore
    name = uuid.uuid4().hex[:8]
    urls = {
        "TRACKER_DB_URL": postgres.create_database(f"tracker_{name}"),
        "REFLECTIONS_DB_URL": postgres.create_database(f"reflections_{name}"),
    }
    running = Stack(tmp_path, *fakes, **urls).start()
    try:
        full_exercise(running, f"pg-{name}")
    finally:
        running.stop()
    for url in urls.values():
        dump = pg_dump(postgres, url)
        assert "COPY public." in dump
        assert SECRET not in dump and "she is too much" not in dump, url
