"""Web session ids that only the server can issue: ``<random>.<HMAC-SHA256>``.

The web page (webapp/) hands each new browser an *offer*, ``offer.<random>.<HMAC>``,
which chat.js seeds into rasa-webchat's storage as its session id. The widget sends it
in ``session_request``; the socket.io channel verifies the offer and answers with a new
session id, signed the same way, which the widget adopts (and greets with, as for any
new session). From then on the widget sends that session id, and the channel accepts
only session ids whose signature verifies. An offer is never a conversation.

The key is ``SESSION_SECRET``, else ``var/session_secret`` (pause/keys.py). Knowing
someone's session id is still enough to be them, as with any bearer session, but an id
can't be made up, and it never names another channel's conversation (``socketio:<id>``).
"""

import base64
import hashlib
import hmac
import re
import secrets
from typing import Optional

#: A session id: 22 random URL-safe characters, a dot, 43 of signature.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$")
OFFER_PREFIX = "offer."
_SESSION, _OFFER = "session", "offer"


def _signature(kind: str, nonce: str, secret: str) -> str:
    message = f"pause-{kind}:{nonce}".encode("ascii")
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _issue(kind: str, secret: str) -> str:
    if not secret:
        raise ValueError("a session secret is required")
    nonce = secrets.token_urlsafe(16)  # 22 characters
    return f"{nonce}.{_signature(kind, nonce, secret)}"


def _verify(kind: str, value: str, secret: str) -> bool:
    if not secret or not SESSION_ID.match(value):
        return False
    nonce, _, signature = value.partition(".")
    expected = _signature(kind, nonce, secret).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("ascii"))


def issue(secret: str) -> str:
    """Return a fresh signed session id.

    Raises:
        ValueError: If ``secret`` is empty.

    """
    return _issue(_SESSION, secret)


def issue_offer(secret: str) -> str:
    """Return a fresh signed offer, exchanged for a session id at ``session_request``.

    Raises:
        ValueError: If ``secret`` is empty.

    """
    return OFFER_PREFIX + _issue(_OFFER, secret)


def verify(session_id: object, secret: str) -> Optional[str]:
    """Return ``session_id`` if the server signed it with ``secret``, else None."""
    if isinstance(session_id, str) and _verify(_SESSION, session_id, secret):
        return session_id
    return None


def verify_offer(offer: object, secret: str) -> bool:
    """Whether ``offer`` is an offer the server signed with ``secret``."""
    if not isinstance(offer, str) or not offer.startswith(OFFER_PREFIX):
        return False
    return _verify(_OFFER, offer[len(OFFER_PREFIX) :], secret)
