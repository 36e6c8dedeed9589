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
    """python-socketio's manager: rooms of (socket id, engine.io id), and the leaving ones."""

    def __init__(self, rooms: Any, leaving: Tuple[str, ...] = ()) -> None:
        self.rooms = rooms
        self.leaving = leaving

    def get_participants(self, namespace: str, room: str) -> Iterator[Tuple[str, str]]:
        return iter((sid, f"eio-{sid}") for sid in self.rooms[namespace][room])

    def is_connected(self, sid: str, namespace: str) -> bool:
        return sid not in self.leaving


class Sio:
    def __init__(self, rooms: Any, leaving: Tuple[str, ...] = ()) -> None:
        self.manager = Manager(rooms, leaving)


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


def test_a_socket_whose_disconnect_is_being_handled_is_not_connected() -> None:
    rooms = {"/": {"socketio:s1": ["sid1"], "socketio:s2": ["sid2", "sid3"]}}
    sio = Sio(rooms, leaving=("sid1", "sid2"))
    assert not connected(sio, "/", "socketio:s1")  # its only socket is leaving
    assert connected(sio, "/", "socketio:s2")  # another tab of the session stays


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
