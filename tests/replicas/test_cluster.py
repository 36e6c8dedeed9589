"""The cluster (scripts/cluster.py) under load and failures, through nginx.

The tests share one cluster and run in this file's order; the last one kills a replica.
"""

import asyncio
import base64
import os
import socket
import uuid
from collections import Counter
from typing import Any, Dict, List

import pytest
import requests
import socketio

from benchmarks import load
from channels.rest import STORE_DOWN
from pause import sessions
from pause.repository import ReflectionRepository
from pause.settings import load_settings
from pause.steps import STEPS
from stores.crypto import cipher_for
from tests.e2e.test_exercise import ANSWERS, ask
from tests.replicas.conftest import Client

pytestmark = pytest.mark.cluster

MOMENT = "we had a great weekend and now i just want to be alone"


def user_texts(events: List[Dict[str, Any]]) -> List[str]:
    return [e["text"] for e in events if e.get("event") == "user"]


def listens(events: List[Dict[str, Any]]) -> int:
    return sum(1 for e in events if e.get("event") == "action" and e["name"] == "action_listen")


def reflections(cluster, sender: str):  # type: ignore[no-untyped-def]
    settings = load_settings(cluster.env)
    store = ReflectionRepository(settings.reflections_db_url, cipher_for(settings))
    try:
        return store.for_user(f"rest:{sender}")
    finally:
        store.dispose()


def assert_one_complete_reflection(cluster, sender: str) -> None:  # type: ignore[no-untyped-def]
    [stored] = reflections(cluster, sender)
    assert stored.status == "finished"
    assert set(stored.answers) == set(STEPS) and all(stored.answers.values()), stored.answers
    assert stored.answers["noticed"] == "an urgent need to be alone"
    assert stored.answers["reason"] == "she is too much for me"
    assert stored.answers["step"] == "skipped"


def start_exercise(client: Client, sender: str, responses) -> List[str]:  # type: ignore[no-untyped-def]
    """Describe a moment and start the exercise; return the replicas that answered."""
    replies, first = client.say(sender, MOMENT)
    assert replies[0]["text"] == responses["utter_signal_need_to_be_alone"][0]["text"]
    replies, second = client.say(sender, "/start_exercise")
    assert "Earlier you described an urgent need to be alone" in replies[-1]["text"]
    return [first, second]


def finish_exercise(client: Client, sender: str, responses) -> None:  # type: ignore[no-untyped-def]
    replies, _ = client.say(sender, "skip")
    assert "she said she loves me" in replies[0]["text"]
    assert "**Small step:** skipped" in replies[0]["text"]
    assert replies[-1]["text"] == responses["utter_reflection_saved"][0]["text"]


def test_load_through_nginx_loses_and_doubles_nothing(cluster, client) -> None:
    sent: Dict[str, List[str]] = {}
    result = asyncio.run(load.load(cluster.url, cluster.token, 10, 0.0, 12.0, sent=sent))
    assert result.errors == 0 and len(result.latencies) == sum(len(t) for t in sent.values())
    assert len(sent) >= 10
    for sender, texts in sent.items():
        events = client.events(sender)
        assert user_texts(events) == texts, sender
        assert listens(events) == len(texts) + 1  # the session's first, then one per turn


def test_concurrent_messages_of_one_sender_are_each_stored_once(cluster, client) -> None:
    sender = f"burst-{uuid.uuid4().hex[:8]}"
    texts = [f"hi number {i}" for i in range(8)]

    async def burst() -> List[Any]:
        timeout = aiohttp_timeout()
        async with load.aiohttp.ClientSession(timeout=timeout) as http:
            return await asyncio.gather(
                *(load.send(http, cluster.url, cluster.token, sender, t) for t in texts)
            )

    answers = asyncio.run(burst())
    assert all(answers)  # every message got the bot's reply
    events = client.events(sender)
    assert Counter(user_texts(events)) == Counter(texts)  # each exactly once
    assert listens(events) == len(texts) + 1  # no two turns interleaved


def aiohttp_timeout() -> Any:
    return load.aiohttp.ClientTimeout(total=120)


def test_an_exercise_alternating_between_replicas(cluster, client, responses) -> None:
    sender = f"alt-{uuid.uuid4().hex[:8]}"
    served = start_exercise(client, sender, responses)
    for text, expected in ANSWERS:
        replies, replica = client.say(sender, text)
        assert ask(responses, expected) in replies[-1]["text"]
        served.append(replica)
    finish_exercise(client, sender, responses)
    assert set(served) == {f"127.0.0.1:{p}" for p in cluster.rasa_ports}
    assert all(a != b for a, b in zip(served, served[1:], strict=False)), served
    assert_one_complete_reflection(cluster, sender)


def test_a_socket_gets_the_messages_produced_on_the_other_replica(cluster) -> None:
    secret = cluster.env["SESSION_SECRET"]
    origin = {"Origin": cluster.env["WEB_ORIGIN"]}
    first, second = (f"http://127.0.0.1:{p}" for p in cluster.rasa_ports)

    async def scenario() -> Dict[str, List[Any]]:
        received: Dict[str, List[Any]] = {"first": [], "nginx": [], "second": []}
        clients: Dict[str, socketio.AsyncClient] = {}
        session = sessions.issue(secret)
        try:
            for name, url, transports in (
                ("first", first, ["polling"]),
                ("nginx", cluster.url, ["polling"]),  # the page's way in
                ("second", second, ["polling"]),
            ):
                sio = socketio.AsyncClient(reconnection=False)
                sio.on("bot_uttered", received[name].append)
                confirmed: List[str] = []
                sio.on("session_confirm", confirmed.append)
                await sio.connect(url, headers=origin, transports=transports)
                clients[name] = sio
                await sio.emit("session_request", {"session_id": session})
                for _ in range(100):
                    if confirmed:
                        break
                    await asyncio.sleep(0.1)
                assert confirmed == [session], name
            await clients["second"].emit("user_uttered", {"message": "hi", "session_id": session})
            for _ in range(300):
                if all(received.values()):
                    break
                await asyncio.sleep(0.1)
        finally:
            for sio in clients.values():
                await sio.disconnect()
        return received

    received = asyncio.run(scenario())
    assert received["second"], "no reply on the replica that handled the message"
    assert received["first"] == received["second"]  # through Redis, from the other replica
    assert received["nginx"] == received["second"]


def test_nginx_upgrades_the_page_socket_to_a_websocket(cluster) -> None:
    host, port = "127.0.0.1", cluster.port
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {cluster.env['WEB_ORIGIN']}\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(request.encode("ascii"))
        head = conn.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 101"), head
    assert "upgrade: websocket" in head.lower()


def test_postgres_restarted_mid_exercise_tells_the_person_and_stores_nothing_half(
    cluster, client, responses
) -> None:
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    start_exercise(client, sender, responses)
    for text, expected in ANSWERS:
        replies, _ = client.say(sender, text)
        assert ask(responses, expected) in replies[-1]["text"]
    before = user_texts(client.events(sender))
    assert cluster.postgres is not None
    cluster.postgres.halt()
    try:
        refused = client.post(sender, "skip")
        assert refused.status_code == 503
        assert refused.json() == {"error": STORE_DOWN}
    finally:
        cluster.postgres.resume()
    assert user_texts(client.events(sender)) == before  # the refused turn left nothing
    assert reflections(cluster, sender) == []  # no half reflection either
    finish_exercise(client, sender, responses)  # the person tries again: it works
    assert_one_complete_reflection(cluster, sender)
    assert user_texts(client.events(sender)) == [*before, "skip"]


def test_a_replica_killed_mid_exercise_the_other_finishes_it(cluster, client, responses) -> None:
    sender = f"kill-{uuid.uuid4().hex[:8]}"
    start_exercise(client, sender, responses)
    for text, expected in ANSWERS[:3]:
        replies, _ = client.say(sender, text)
        assert ask(responses, expected) in replies[-1]["text"]
    cluster.kill_rasa(0)
    alive = f"127.0.0.1:{cluster.rasa_ports[1]}"
    for text, expected in ANSWERS[3:]:
        replies, replica = client.say(sender, text)
        assert ask(responses, expected) in replies[-1]["text"]
        assert replica == alive
    finish_exercise(client, sender, responses)
    assert_one_complete_reflection(cluster, sender)
    response = requests.get(f"{cluster.url}/", timeout=30)  # the page is still served
    assert response.status_code == 200
