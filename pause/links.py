"""Signed, expiring links: one person's reflections, downloadable for a short while.

A token is ``<user id, base64url>.<expiry, unix seconds>.<signature>``: itsdangerous'
:class:`~itsdangerous.Signer` (HMAC-SHA256, base64url) signs the first two parts, so a
changed user id or expiry fails the signature. itsdangerous has no dependencies of its
own, so both the action server (which hands the link out) and the web app (which serves
the file) import this cheaply.
"""

import hashlib
import re
import time
from typing import Optional

from itsdangerous import BadData, Signer
from itsdangerous.encoding import base64_decode, base64_encode

from pause.settings import Settings

EXPORT_PATH = "/export/"
_SALT = "pause-export-link"
#: The only shape a token has (base64 decoding would skip any other character).
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[0-9]+\.[A-Za-z0-9_-]+")


def _signer(secret: str) -> Signer:
    return Signer(secret, salt=_SALT, digest_method=hashlib.sha256)


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
    payload = base64_encode(user_id.encode("utf-8")) + b".%d" % expires
    return _signer(secret).sign(payload).decode("ascii")


def verify(token: str, secret: str, now: Optional[float] = None) -> Optional[str]:
    """Return the user id that ``token`` names, or None if it is forged, broken or expired.

    Args:
        token: A token made by :func:`sign`.
        secret: The shared secret it was signed with.
        now: The current Unix time (tests pass a fixed one).

    Returns:
        The user id, or None.

    """
    if not secret or not _TOKEN.fullmatch(token):
        return None
    try:
        encoded_user, _, expires = _signer(secret).unsign(token).decode("ascii").partition(".")
        current = time.time() if now is None else now
        if int(expires) <= current:
            return None
        user_id = base64_decode(encoded_user).decode("utf-8")
    except (BadData, UnicodeError, ValueError):
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
