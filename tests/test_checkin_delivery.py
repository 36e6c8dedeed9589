"""Check-ins on the web page, REST and plain text (channels/checkin_delivery.py)."""

import json
from typing import Any, Iterator, List, Tuple

import pytest

from channels.checkin_delivery import checkin_message, connected, deliver_held
from pause import repository
from pause.repository import Reflection
from stores.checkins import CLAIMED, HELD
from tests.conftest import FIXED_NOW


class Manager:
    def __init__(self, rooms: Any) -> None:
        self.rooms = rooms

    def get_participants(self, namespace: str, room: str) -> Iterator[str]:
        return iter(self.rooms[namespace][room])


class Sio:
    def __init__(self, rooms: Any) -> None:
        self.manager = Manager(rooms)


def test_the_message_is_the_intent_with_the_id() -> None:
    text = checkin_message("abc")
    assert text.startswith("/EXTERNAL_checkin_due{")
    assert json.loads(text[len("/EXTERNAL_checkin_due") :]) == {"checkin": "abc"}


def test_connected_only_with_a_socket_in_the_room() -> None:
    sio = Sio({"/": {"socketio:s1": ["sid1"], "socketio:s2": []}})
    assert connected(sio, "/", "socketio:s1")
    assert not connected(sio, "/", "socketio:s2")
    assert not connected(sio, "/", "socketio:s3")  # no such room
    assert not connected(Sio({}), "/", "socketio:s1")  # no such namespace


async def test_held_checkins_run_once_on_the_next_visit(store, frozen_time) -> None:  # type: ignore[no-untyped-def]
    me = "socketio:s1"
    store.save(Reflection(id="r" * 32, user_id=me, channel="socketio", answers={}))
    checkin = store.checkins.schedule("r" * 32, me, "socketio", FIXED_NOW, FIXED_NOW)
    store.checkins.claim_due("w", FIXED_NOW, 120)
    assert store.checkins.hold(checkin.id, "w", FIXED_NOW)
    ran: List[Tuple[str, str]] = []

    async def deliver(sender: str, checkin_id: str) -> None:
        ran.append((sender, checkin_id))

    await deliver_held("socketio:other", deliver)
    assert ran == []
    await deliver_held(me, deliver)
    assert ran == [(me, checkin.id)]
    assert store.checkins.get(checkin.id, me).status == CLAIMED  # the action sends it
    await deliver_held(me, deliver)
    assert ran == [(me, checkin.id)]  # taken once


async def test_storage_trouble_leaves_them_held(store, frozen_time, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    me = "rest:x"
    store.save(Reflection(id="q" * 32, user_id=me, channel="rest", answers={}))
    checkin = store.checkins.schedule("q" * 32, me, "rest", FIXED_NOW, FIXED_NOW)
    store.checkins.claim_due("w", FIXED_NOW, 120)
    store.checkins.hold(checkin.id, "w", FIXED_NOW)

    def broken() -> Any:
        raise RuntimeError("down")

    monkeypatch.setattr("channels.checkin_delivery.default_repository", broken)

    async def deliver(sender: str, checkin_id: str) -> None:
        pytest.fail("nothing may run")

    await deliver_held(me, deliver)
    assert store.checkins.get(checkin.id, me).status == HELD
    assert repository.default_repository() is store
