"""Secrets that must exist even when the operator set none: kept in files of mode 0600.

The API token, the web sessions' signing key and the encryption key each come from the
environment (``pause/settings.py``); when a variable is unset, the first process that
needs the secret generates it into the var folder and every other process reads it
from there. A file is created with ``O_EXCL`` and mode 0600, so two processes starting
together agree on one value and no other user of the machine can read it.
"""

import os
import secrets
import time
from pathlib import Path
from typing import Callable

from pause.settings import Settings


def load_or_create(path: Path, generate: Callable[[], str]) -> str:
    """Return the secret in ``path``, creating it with ``generate()`` if it is missing.

    Raises:
        OSError: If the file can be neither created nor read.

    """
    path.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            existing = path.read_text(encoding="ascii").strip()
            if existing:
                return existing
            time.sleep(0.05)
        raise OSError(f"{path} is empty") from None
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(value + "\n")
    return value


def api_token(settings: Settings) -> str:
    """The token of the REST and plain-text webhooks and the HTTP API (``RASA_API_TOKEN``)."""
    if settings.api_token:
        return settings.api_token
    return load_or_create(settings.api_token_file, lambda: secrets.token_urlsafe(32))


def session_secret(settings: Settings) -> str:
    """The key that signs the web page's session ids (``SESSION_SECRET``)."""
    if settings.session_secret:
        return settings.session_secret
    return load_or_create(settings.session_secret_file, lambda: secrets.token_urlsafe(32))
