"""Signed, expiring links: one person's reflections, downloadable for a short while.

A token is ``<user id, base64url>.<expiry, unix seconds>.<HMAC-SHA256, base64url>``; the
MAC covers the first two parts. Standard library only, so both the action server (which
hands the link out) and the web app (which serves the file) can import it cheaply.
"""

import base64
import binascii
import hashlib
import hmac
import time
from typing import Optional

from pause.settings import Settings

EXPORT_PATH = "/export/"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(message: str, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), message.encode("ascii"), hashlib.sha256).digest()
    return _b64encode(digest)


def sign(user_id: str, secret: str, ttl_seconds: int, now: Optional[float] = None) -> str:
    """Return a token that names ``user_id`` until ``ttl_seconds`` from now.

    Args:
        user_id: The sender id whose reflections the link may download.
        secret: The shared secret (``EXPORT_SECRET``); must not be empty.
        ttl_seconds: How long the token stays valid.
        now: The current Unix time (tests pass a fixed one).

    Returns:
        The URL-safe token.

    Raises:
        ValueError: If ``secret`` or ``user_id`` is empty or ``ttl_seconds`` is not positive.

    """
    if not secret:
        raise ValueError("an export secret is required to sign links")
    if not user_id or ttl_seconds <= 0:
        raise ValueError("a user id and a positive lifetime are required")
    expires = int((time.time() if now is None else now) + ttl_seconds)
    payload = f"{_b64encode(user_id.encode('utf-8'))}.{expires}"
    return f"{payload}.{_mac(payload, secret)}"


def verify(token: str, secret: str, now: Optional[float] = None) -> Optional[str]:
    """Return the user id that ``token`` names, or None if it is forged, broken or expired.

    Args:
        token: A token made by :func:`sign`.
        secret: The shared secret it was signed with.
        now: The current Unix time (tests pass a fixed one).

    Returns:
        The user id, or None.

    """
    if not secret or not token:
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    encoded_user, expires, mac = parts
    try:
        expected = _mac(f"{encoded_user}.{expires}", secret)
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(expected.encode("ascii"), mac.encode("utf-8")):
        return None
    current = time.time() if now is None else now
    if not (expires.isascii() and expires.isdigit()) or int(expires) <= current:
        return None
    try:
        user_id = _b64decode(encoded_user).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return user_id or None


def web_base_url(settings: Settings) -> str:
    """Return the web page's origin: ``WEB_ORIGIN``, else the web app on ``rasa_host``.

    Args:
        settings: The loaded settings.

    Returns:
        An origin such as ``http://127.0.0.1:8080`` (no trailing slash).

    """
    return (settings.web_origin or f"http://{settings.rasa_host}:{settings.web_port}").rstrip("/")


def export_url(settings: Settings, user_id: str, now: Optional[float] = None) -> str:
    """Return the signed download link of ``user_id``'s reflections.

    Args:
        settings: The loaded settings (``EXPORT_SECRET``, ``EXPORT_TTL_SECONDS``, origin).
        user_id: The sender id.
        now: The current Unix time (tests pass a fixed one).

    Returns:
        ``{web base url}/export/{token}``.

    """
    token = sign(user_id, settings.export_secret, settings.export_ttl_seconds, now)
    return f"{web_base_url(settings)}{EXPORT_PATH}{token}"
