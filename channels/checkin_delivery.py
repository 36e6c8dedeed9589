"""Check-ins on channels that cannot send on their own: the web page, REST and plain text.

**Web page.** Shown at once while it is connected, else when it next connects.

The scheduler cannot tell whether a page is open (its socket lives in the Rasa server),
so for a ``socketio`` check-in it calls ``POST /webhooks/socketio/checkin`` (API token,
channels/guard.py). Here, if a socket of that session is connected to this server, the
check-in runs in the conversation at once (answer ``{"delivered": true}``); otherwise the
answer is ``{"delivered": false}`` and the scheduler marks the row ``held``. When the page
next connects, ``session_request`` claims its held rows (stores/checkins.py) and runs them.
``action_start_checkin`` asks only if it moves the row to ``sent``, so it is never shown
twice, and a held row waits until a page takes it. One gap is left: a page closed in the
instant the check-in runs, before this server has seen its socket go, is sent the question
and no one sees it; the row stays ``sent`` (showing sent rows again on the next visit would
show a check-in twice after a reload). Closing it needs the page to acknowledge what it shows.

**REST and plain text.** A reply can only go with an answer, so the scheduler marks the
row ``held`` at once; the sender's next message is answered, then the held check-in runs
and its question is added to the same response (the message after it answers it).
"""

import asyncio
import json
import logging
import os
import socket
from typing import Any, Awaitable, Callable

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from pause.intents import CHECKIN_DUE
from pause.repository import default_repository, now
from pause.settings import load_settings

logger = logging.getLogger(__name__)

ROUTE = "/checkin"  # under the channel's prefix: /webhooks/socketio/checkin
INTENT = CHECKIN_DUE
Deliver = Callable[[str, str], Awaitable[None]]


def checkin_message(checkin_id: str) -> str:
    """The message that runs a check-in in the conversation (Rasa's ``/intent{...}``)."""
    return f"/{INTENT}{json.dumps({'checkin': checkin_id})}"


def connected(sio: Any, namespace: str, room: str) -> bool:
    """Whether a socket of ``room`` (the sender id) is connected to this server.

    A socket whose disconnect is being handled stays in the room until its handler returns,
    and ``is_connected`` already says no for it. With python-socketio 5.18 no request sees such
    a socket (the handler does not yield); this keeps the answer right if a handler ever does.
    """
    try:
        return any(
            sio.manager.is_connected(sid, namespace)
            for sid, _ in sio.manager.get_participants(namespace, room)
        )
    except (KeyError, AttributeError):
        return False


def add_route(blueprint: Blueprint, sio: Any, namespace: str, deliver: Deliver) -> None:
    """Add the scheduler's route to the socket.io channel's blueprint."""

    async def checkin(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        sender, checkin_id = body.get("sender"), body.get("checkin")
        if not isinstance(sender, str) or not isinstance(checkin_id, str):
            return response.json({"error": "sender and checkin are required"}, status=400)
        if not connected(sio, namespace, sender):
            return response.json({"delivered": False})
        await deliver(sender, checkin_id)
        return response.json({"delivered": True})

    blueprint.add_route(checkin, ROUTE, methods=["POST"], name="checkin")


async def deliver_held(sender: str, deliver: Deliver) -> None:
    """Run ``sender``'s held check-ins (page connected, or a message came); trouble waits."""
    settings = load_settings()
    worker = f"{socket.gethostname()}:{os.getpid()}:web"

    def claim() -> list:
        return default_repository().checkins.claim_held(
            sender, worker, now(), settings.checkin_lease_seconds
        )

    try:
        held = await asyncio.get_running_loop().run_in_executor(None, claim)
    except Exception:  # the page works without check-ins; the rows stay held
        logger.exception("Could not read held check-ins.")
        return
    for checkin in held:
        await deliver(sender, checkin.id)
