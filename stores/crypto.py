"""Encryption at rest: reflection answers and the tracker store's events (Fernet).

The keys are ``PAUSE_DATA_KEYS``: comma-separated Fernet keys, the first one encrypts,
every one decrypts (a MultiFernet). When it is unset, one key is generated into
``var/data.key`` (mode 0600, pause/keys.py). A stored value is ``enc1:<Fernet token>``;
a value without the prefix was written before encryption and is read as it is (the
``encrypted_at_rest`` migration encrypts such rows once).

Rotating a key (docs in the README): put the new key first, keep the old one after it
(``PAUSE_DATA_KEYS=new,old``), restart, run ``python -m scripts.rotate_data_keys`` to
re-encrypt every row with the new key, then drop the old one.
"""

from functools import lru_cache
from typing import Optional, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from pause.keys import load_or_create
from pause.settings import Settings, load_settings

PREFIX = "enc1:"


class Cipher:
    """Encrypts and decrypts text with the first of its keys / any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        """Create a cipher; ``keys[0]`` encrypts.

        Raises:
            ValueError: If there is no key or one is not a Fernet key.

        """
        if not keys:
            raise ValueError("at least one data key is required")
        self._fernet = MultiFernet([Fernet(key.strip().encode("ascii")) for key in keys])

    def encrypt(self, text: Optional[str]) -> Optional[str]:
        """Return ``text`` encrypted (None stays None)."""
        if text is None:
            return None
        return PREFIX + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: Optional[str]) -> Optional[str]:
        """Return the text of a stored value (one without the prefix is read as it is).

        Raises:
            InvalidToken: If no key decrypts it.

        """
        if stored is None or not stored.startswith(PREFIX):
            return stored
        return self._fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")

    def rotate(self, stored: Optional[str]) -> Optional[str]:
        """Return a stored value encrypted with the first key (plain values get encrypted)."""
        if stored is None:
            return None
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        token = self._fernet.rotate(stored[len(PREFIX) :].encode("ascii"))
        return PREFIX + token.decode("ascii")


def data_keys(settings: Settings) -> Sequence[str]:
    """The data keys: ``PAUSE_DATA_KEYS``, else the one in ``var/data.key``."""
    if settings.data_keys:
        return [key for key in settings.data_keys.split(",") if key.strip()]
    return [load_or_create(settings.data_key_file, lambda: Fernet.generate_key().decode())]


def cipher_for(settings: Settings) -> Cipher:
    """The cipher of ``settings``' keys."""
    return Cipher(data_keys(settings))


@lru_cache(maxsize=4)
def _cached(keys: str, key_file: str) -> Cipher:
    return cipher_for(load_settings({"PAUSE_DATA_KEYS": keys, "PAUSE_VAR_DIR": key_file}))


def default_cipher() -> Cipher:
    """The cipher of the environment's settings (cached per key set)."""
    settings = load_settings()
    return _cached(settings.data_keys, str(settings.var_dir))


__all__ = ["Cipher", "InvalidToken", "cipher_for", "data_keys", "default_cipher"]
