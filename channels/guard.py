"""Nothing open by default: one token guards every route that is not a public channel.

The Rasa server's routes fall in two groups:

* **public**: ``/`` (a health check), ``/socket.io/`` (the web page; each session is
  signed, see channels/socketio.py), and the Telegram and Slack webhooks (each request
  is authenticated by the platform's secret, see channels/telegram.py and slack.py);
* **everything else** needs the API token: the REST and plain-text webhooks, and the
  whole HTTP API (``/model/parse``, ``/conversations/...``, ...). The token comes as
  ``Authorization: Bearer <token>`` or as Rasa's own ``?token=<token>`` (what
  ``rasa shell --auth-token`` sends). The plain-text webhook also accepts a gateway's
  shared secret in ``X-Gateway-Secret`` (``PLAINTEXT_GATEWAY_SECRET``).

The guard is one request middleware that the project's channels install (once per app,
whichever comes first), so a bare ``rasa run`` with credentials.yml is guarded too; the
token is ``RASA_API_TOKEN``, else the one in the var folder (pause/keys.py).
"""

import hmac
import json
import logging
from typing import Any, Optional, Tuple, Union

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.identity import client_id, scoped
from channels.limits import limits, too_many
from pause.keys import api_token
from pause.settings import Settings, load_settings

logger = logging.getLogger(__name__)

PUBLIC_WEBHOOKS = ("/webhooks/telegram/webhook", "/webhooks/slack/webhook")
SOCKET_PATH = "/socket.io"
PLAINTEXT_WEBHOOK = "/webhooks/plaintext/webhook"
WEBHOOKS = "/webhooks/"
GATEWAY_HEADER = "x-gateway-secret"
_INSTALLED = "pause_guard_installed"


def is_public(path: str) -> bool:
    """Whether ``path`` is served without the API token."""
    trimmed = path.rstrip("/")
    if path == "/" or trimmed in PUBLIC_WEBHOOKS:
        return True
    return trimmed == SOCKET_PATH or path.startswith(f"{SOCKET_PATH}/")


def _matches(received: Optional[str], expected: str) -> bool:
    if not received or not expected:
        return False
    return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))


def presented_token(request: Request) -> Optional[str]:
    """The token of ``Authorization: Bearer <token>``, else of ``?token=``."""
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = request.args.get("token")
    return str(token) if token else None


def authorized(request: Request, token: str, settings: Settings) -> bool:
    """Whether ``request`` may use a non-public route."""
    if _matches(presented_token(request), token):
        return True
    if request.path.rstrip("/") == PLAINTEXT_WEBHOOK and settings.gateway_secret:
        return _matches(request.headers.get(GATEWAY_HEADER), settings.gateway_secret)
    return False


def unauthorized() -> HTTPResponse:
    """The answer to a request without a valid token."""
    return response.json(
        {"error": "unauthorized: send Authorization: Bearer <RASA_API_TOKEN>"},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="pause"'},
    )


def install(app: Sanic, settings: Optional[Settings] = None) -> None:
    """Add the guard to ``app`` (once)."""
    if getattr(app.ctx, _INSTALLED, False):
        return
    setattr(app.ctx, _INSTALLED, True)
    settings = settings or load_settings()
    token = api_token(settings)

    async def guard(request: Request) -> Optional[HTTPResponse]:
        if request.method == "POST" and request.path.startswith(WEBHOOKS):
            if len(request.body or b"") > settings.max_body_bytes:
                return bad_request(f"request body over {settings.max_body_bytes} bytes", 413)
            # Telegram's and Slack's requests come from the platforms' few servers: they
            # are limited per sender (channels/telegram.py, slack.py), not per address.
            if not is_public(request.path) and not limits().check(ip=request.ip):
                logger.warning("Refused POST %s: over the rate limit of its IP.", request.path)
                return too_many()
        if request.method == "OPTIONS" or is_public(request.path):
            return None
        if authorized(request, token, settings):
            return None
        logger.warning("Refused %s %s: no valid token.", request.method, request.path)
        return unauthorized()

    app.register_middleware(guard, "request")
    logger.info("The REST and plain-text webhooks and the HTTP API need the API token.")


def install_guard(blueprint: Blueprint) -> None:
    """Install the guard on the app that ``blueprint`` is registered on, at start."""

    async def before_start(app: Sanic, loop: Any) -> None:
        install(app)

    blueprint.listener("before_server_start")(before_start)


def bad_request(error: str, status: int = 400) -> HTTPResponse:
    """A JSON error without anything from the request in it."""
    return response.json({"error": error}, status=status)


def read_message(
    request: Request, channel: str, settings: Optional[Settings] = None
) -> Union[Tuple[str, str], HTTPResponse]:
    """Return ``(sender, message)`` of a webhook's JSON body, or the error to answer.

    413 when the body or the message is too long, 400 when the body is not a JSON
    object with a ``sender`` (printable, at most 128 characters) and a ``message``
    string, 429 when the sender is over its rate limit.
    """
    settings = settings or load_settings()
    body = request.body or b""
    if len(body) > settings.max_body_bytes:
        return bad_request(f"request body over {settings.max_body_bytes} bytes", 413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return bad_request("malformed JSON")
    if not isinstance(data, dict):
        return bad_request("expected a JSON object {sender, message}")
    sender, message = client_id(data.get("sender")), data.get("message")
    if sender is None or not isinstance(message, str):
        return bad_request("expected {sender, message} strings (sender: 1-128 characters)")
    if len(message) > settings.max_message_chars:
        return bad_request(f"message over {settings.max_message_chars} characters", 413)
    if not limits().check(sender=scoped(channel, sender)):
        logger.warning("Refused a %s message: over the rate limit of its sender.", channel)
        return too_many()
    return sender, message
