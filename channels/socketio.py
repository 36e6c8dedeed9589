"""Rasa's socket.io channel, fixed for python-socketio 5.x and locked to the page's origin.

Two things credentials.yml cannot change in Rasa 3.6's ``SocketIOInput``:

* It builds its ``socketio.AsyncServer`` with ``cors_allowed_origins=[]``, which turns
  Engine.IO's origin check off: any web site could open a socket to the assistant
  (browsers do not apply CORS to WebSockets). Here the only allowed origin is
  ``WEB_ORIGIN`` (default: the web app's own, see :func:`actions.links.web_base_url`).
* Engine.IO then answers CORS itself; when ``rasa run --cors <origin>`` is also given,
  Sanic-CORS added a second ``Access-Control-Allow-Origin`` header to the same
  responses and browsers refused the long-polling transport. Sanic-CORS now leaves the
  socket.io path to Engine.IO (the HTTP API keeps ``--cors``).
* Its ``session_request`` handler calls ``sio.enter_room`` without ``await``; since
  python-socketio 5.10 that is a coroutine, so with ``session_persistence: true`` the
  socket never joins its session's room and every bot message is lost. The handler
  is replaced by one that awaits it.

credentials.yml::

    channels.socketio.OriginCheckedSocketIOInput:
      session_persistence: true
"""

import inspect
import logging
import re
import uuid
from asyncio import AbstractEventLoop
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic
from sanic.request import Request
from socketio import AsyncServer

from actions.config import Settings, load_settings
from actions.links import web_base_url

try:  # the flag Sanic-CORS sets once a response has its CORS headers
    from sanic_cors.core import SANIC_CORS_EVALUATED
except ImportError:  # pragma: no cover - Rasa always installs Sanic-CORS
    SANIC_CORS_EVALUATED = "_sanic_cors_e"

logger = logging.getLogger(__name__)

#: A session id becomes the sender id in every store: keep it short and plain.
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def allowed_origins(settings: Optional[Settings] = None) -> List[str]:
    """Return the origins that may connect: the web page's, and only that one.

    Args:
        settings: Settings to read (the environment's by default).

    Returns:
        A one-element list, e.g. ``["http://127.0.0.1:8080"]``.

    """
    return [web_base_url(settings or load_settings())]


def session_id_from(data: Any) -> str:
    """Return the session id a client asks for, or a new one if it is missing or odd."""
    requested = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(requested, str) and _SESSION_ID.match(requested):
        return requested
    return uuid.uuid4().hex


class OriginCheckedSocketIOInput(SocketIOInput):
    """Socket.io input channel: one allowed origin, and sessions that keep their messages."""

    @classmethod
    def name(cls) -> Text:
        """Keep the built-in channel's name (stored with each message and reflection)."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Build Rasa's blueprint, then restrict origins and fix ``session_request``."""
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        if sio is None:  # set by the parent; guards against a future change there
            raise RuntimeError("SocketIOInput.blueprint did not create its server")
        origins = allowed_origins()
        # Engine.IO reads this on every request: it refuses other Origin headers (HTTP
        # polling and WebSocket upgrades alike) and answers CORS for the allowed one.
        sio.eio.cors_allowed_origins = origins
        sio.on("session_request", self._session_handler(sio), namespace=self.namespace)
        blueprint.listener("before_server_start")(self._leave_cors_to_engineio)
        logger.info("socket.io accepts connections from %s only.", ", ".join(origins))
        return blueprint

    async def _leave_cors_to_engineio(self, app: Sanic, loop: AbstractEventLoop) -> None:
        path = (self.socketio_path or "/socket.io").rstrip("/")

        def skip_sanic_cors(request: Request) -> None:
            if request.path == path or request.path.startswith(f"{path}/"):
                setattr(request.ctx, SANIC_CORS_EVALUATED, "1")

        app.register_middleware(skip_sanic_cors, "request")

    def _session_handler(
        self, sio: AsyncServer
    ) -> Callable[[Text, Optional[Dict]], Awaitable[None]]:
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = session_id_from(data)
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(entered):  # a coroutine since python-socketio 5.10
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        return session_request
