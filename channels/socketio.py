"""Rasa's socket.io channel, fixed for python-socketio 5.x and locked to the page's origin.

Two things credentials.yml cannot change in Rasa 3.6's ``SocketIOInput``:

* It builds its ``socketio.AsyncServer`` with ``cors_allowed_origins=[]``, which turns
  Engine.IO's origin check off: any web site could open a socket to the assistant
  (browsers do not apply CORS to WebSockets). Here the only allowed origin is
  ``WEB_ORIGIN`` (default: the web app's own, see :func:`pause.links.web_base_url`).
* Engine.IO then answers CORS itself; when ``rasa run --cors <origin>`` is also given,
  Sanic-CORS added a second ``Access-Control-Allow-Origin`` header to the same
  responses and browsers refused the long-polling transport. Sanic-CORS now leaves the
  socket.io path to Engine.IO (the HTTP API keeps ``--cors``).
* Its ``session_request`` handler calls ``sio.enter_room`` without ``await``; since
  python-socketio 5.10 that is a coroutine, so with ``session_persistence: true`` the
  socket never joins its session's room and every bot message is lost. The handler
  is replaced by one that awaits it.
* Its handlers trust the ``session_id`` of every client event: anyone who knew a
  session id could read and write that conversation. Here a session id must be one the
  server signed (pause/sessions.py): ``session_request`` takes a signed session id, or
  a signed offer from the web page, which it exchanges for a new session id; either is
  then bound to the socket, and ``user_uttered`` is handled only with the id bound to
  that socket. Anything else is refused, logged (without the message) and not
  processed, and the socket is disconnected. The sender id is ``socketio:<session id>``
  (channels/identity.py).
* With ``SOCKETIO_MESSAGE_QUEUE`` set (a Redis URL, ``redis://host:6379/2``), the
  server's client manager is python-socketio's ``AsyncRedisManager``: a bot message
  emitted on one Rasa replica reaches the sockets of that session held by any other
  replica. Off by default (one process needs no queue).

credentials.yml::

    channels.socketio.OriginCheckedSocketIOInput:
      session_persistence: true
"""

import hmac
import inspect
import logging
from asyncio import AbstractEventLoop
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic
from sanic.request import Request
from socketio import AsyncRedisManager, AsyncServer

from channels.checkin_delivery import add_route as add_checkin_route
from channels.checkin_delivery import checkin_message, deliver_held
from channels.guard import install_guard
from channels.identity import scoped
from channels.limits import limits
from pause import sessions
from pause.keys import session_secret
from pause.links import web_base_url
from pause.settings import Settings, load_settings

try:  # the flag Sanic-CORS sets once a response has its CORS headers
    from sanic_cors.core import SANIC_CORS_EVALUATED
except ImportError:  # pragma: no cover - Rasa always installs Sanic-CORS
    SANIC_CORS_EVALUATED = "_sanic_cors_e"

logger = logging.getLogger(__name__)

#: The Redis channel the replicas' socket.io servers share.
MESSAGE_QUEUE_CHANNEL = "pause-socketio"


def use_message_queue(sio: AsyncServer, url: str) -> Callable[[Sanic, Any], Awaitable[None]]:
    """Make ``sio`` deliver its emits through Redis at ``url``, to every replica.

    Returns the ``before_server_start`` listener that starts the manager's listener
    task (python-socketio would start it only at the first socket of this replica,
    and a replica without sockets must still hear its peers' emits for them).
    """
    manager = AsyncRedisManager(url, channel=MESSAGE_QUEUE_CHANNEL)
    sio.manager = manager
    manager.set_server(sio)
    sio.manager_initialized = False

    async def start_listening(app: Sanic, loop: Any) -> None:
        if not sio.manager_initialized:
            sio.manager_initialized = True
            manager.initialize()

    return start_listening


def allowed_origins(settings: Optional[Settings] = None) -> List[str]:
    """Return the origins that may connect: the web page's, and only that one.

    Args:
        settings: Settings to read (the environment's by default).

    Returns:
        A one-element list, e.g. ``["http://127.0.0.1:8080"]``.

    """
    return [web_base_url(settings or load_settings())]


def session_id_from(data: Any, secret: str) -> Optional[str]:
    """Return the signed session id of a ``session_request``, or None if it has none.

    A signed offer of the web page gets a new session id; anything else gets None.
    """
    requested = data.get("session_id") if isinstance(data, dict) else None
    if sessions.verify_offer(requested, secret):
        return sessions.issue(secret)
    return sessions.verify(requested, secret)


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
        settings = load_settings()
        self._secret = session_secret(settings)
        self._max_text = settings.max_message_chars  # longer ones are refused like forged
        self._bound: Dict[str, str] = {}  # socket id -> the session id it was given
        # Engine.IO reads this on every request: it refuses other Origin headers (HTTP
        # polling and WebSocket upgrades alike) and answers CORS for the allowed one.
        sio.eio.cors_allowed_origins = origins
        sio.on("session_request", self._session_handler(sio), namespace=self.namespace)
        sio.on(
            self.user_message_evt,
            self._message_handler(sio, on_new_message),
            namespace=self.namespace,
        )
        sio.on("disconnect", self._disconnect_handler(), namespace=self.namespace)
        if settings.socketio_message_queue:
            blueprint.listener("before_server_start")(
                use_message_queue(sio, settings.socketio_message_queue)
            )
            logger.info("socket.io shares its emits with the other replicas through Redis.")
        blueprint.listener("before_server_start")(self._leave_cors_to_engineio)
        install_guard(blueprint)
        self._on_new_message = on_new_message
        add_checkin_route(blueprint, sio, self.namespace or "/", self._deliver_checkin)
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
            session_id = session_id_from(data, self._secret)
            if session_id is None:
                await self._refuse(sio, sid, "session_request without a signed session id")
                return
            if self._bound.get(sid, session_id) != session_id:
                await self._refuse(sio, sid, "session_request for a second session")
                return
            self._bound[sid] = session_id
            entered = sio.enter_room(sid, scoped(self.name(), session_id), namespace=self.namespace)
            if inspect.isawaitable(entered):  # a coroutine since python-socketio 5.10
                await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.info("socket.io: socket %s started a session.", sid)  # never the session id
            await deliver_held(scoped(self.name(), session_id), self._deliver_checkin)

        return session_request

    def _message_handler(
        self, sio: AsyncServer, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Callable[[Text, Any], Awaitable[None]]:
        async def handle_message(sid: Text, data: Any) -> None:
            bound = self._bound.get(sid)
            claimed = data.get("session_id") if isinstance(data, dict) else None
            if bound is None or not isinstance(claimed, str):
                await self._refuse(sio, sid, "a message on a socket without a session")
                return
            if not hmac.compare_digest(claimed.encode("utf-8"), bound.encode("utf-8")):
                await self._refuse(sio, sid, "a message for another session than the socket's")
                return
            if not limits().check(sender=scoped(self.name(), bound)):
                logger.warning("socket.io: dropped a message over the session's rate limit.")
                return
            text = data.get("message")
            if not isinstance(text, str) or len(text) > self._max_text:
                await self._refuse(sio, sid, "a message without text or over the size limit")
                return
            metadata = data.get(self.metadata_key or "metadata")
            sender = scoped(self.name(), bound)
            output = SocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    sender,
                    input_channel=self.name(),
                    metadata=metadata if isinstance(metadata, dict) else None,
                )
            )

        return handle_message

    async def _deliver_checkin(self, sender: str, checkin_id: str) -> None:
        """Run a due check-in in ``sender``'s conversation (channels/checkin_delivery.py)."""
        if self.sio is None:
            return
        output = SocketIOOutput(self.sio, self.bot_message_evt)
        message = UserMessage(
            checkin_message(checkin_id), output, sender, input_channel=self.name()
        )
        await self._on_new_message(message)

    def _disconnect_handler(self) -> Callable[[Text], Awaitable[None]]:
        async def disconnect(sid: Text) -> None:
            self._bound.pop(sid, None)
            logger.info("socket.io: socket %s disconnected.", sid)  # a random id, no person's

        return disconnect

    async def _refuse(self, sio: AsyncServer, sid: Text, why: str) -> None:
        """Log and drop a forged or broken event, and close its socket."""
        logger.warning("socket.io: refused %s (socket %s).", why, sid)
        self._bound.pop(sid, None)
        await sio.disconnect(sid, namespace=self.namespace)
