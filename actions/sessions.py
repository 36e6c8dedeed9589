"""Web session ids that only the server can issue: ``<random>.<HMAC-SHA256>``.

The web page (webapp/) gives each new browser a random session id signed with the
sessions' key (``SESSION_SECRET``, else ``var/session_secret``, see actions/keys.py); the
socket.io channel accepts only ids whose signature verifies. Knowing someone's id is
still enough to be them, as with any bearer session, but an id can no longer be made
up, and it never appears in another channel's conversations (``socketio:<id>``).
"""

import base64
import hashlib
import hmac
import re
import secrets
from typing import Optional

#: A session id: 22 random URL-safe characters, a dot, 43 of signature.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$")


def _signature(nonce: str, secret: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), b"pause-session:" + nonce.encode("ascii"), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue(secret: str) -> str:
    """Return a fresh signed session id.

    Raises:
        ValueError: If ``secret`` is empty.

    """
    if not secret:
        raise ValueError("a session secret is required")
    nonce = secrets.token_urlsafe(16)  # 22 characters
    return f"{nonce}.{_signature(nonce, secret)}"


def verify(session_id: object, secret: str) -> Optional[str]:
    """Return ``session_id`` if the server signed it with ``secret``, else None."""
    if not secret or not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        return None
    nonce, _, signature = session_id.partition(".")
    if hmac.compare_digest(_signature(nonce, secret).encode("ascii"), signature.encode("ascii")):
        return session_id
    return None
