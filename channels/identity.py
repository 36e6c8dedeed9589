"""Who a message is from: ``<channel>:<platform id>``, set by the input channel itself.

Every sender id that reaches the tracker store and the reflection store is scoped by the
channel that received the message: ``telegram:12345``, ``slack:U0123``, ``rest:<sender>``,
``plaintext:<sender>``, ``socketio:<server-issued session id>``. A client can choose at
most the part after the prefix of its own channel, so no request on one channel can name
a conversation of another (``rest:telegram:12345`` is not ``telegram:12345``).
"""

from typing import Optional

SEPARATOR = ":"
#: The channels that scope sender ids (their ``InputChannel.name()``).
CHANNELS = ("rest", "plaintext", "socketio", "telegram", "slack")
#: Longest platform id a client may choose (REST and plain-text senders).
MAX_CLIENT_ID = 128


def scoped(channel: str, platform_id: str) -> str:
    """Return the sender id of ``platform_id`` on ``channel``.

    Raises:
        ValueError: If the channel is unknown or the platform id is empty.

    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not platform_id:
        raise ValueError("a platform id is required")
    return f"{channel}{SEPARATOR}{platform_id}"


def platform_id(sender_id: str, channel: str) -> str:
    """Return the platform's own id in ``sender_id`` (what its API expects as recipient)."""
    prefix = f"{channel}{SEPARATOR}"
    return sender_id[len(prefix) :] if sender_id.startswith(prefix) else sender_id


def channel_of(sender_id: str) -> Optional[str]:
    """Return the channel that scopes ``sender_id``, or None for an unscoped id."""
    channel, separator, rest = sender_id.partition(SEPARATOR)
    return channel if separator and rest and channel in CHANNELS else None


def client_id(value: object) -> Optional[str]:
    """Return ``value`` as a client-chosen platform id, or None if it is not acceptable.

    REST and plain-text clients name their own sender: a non-empty string of printable
    characters, at most :data:`MAX_CLIENT_ID` long.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_CLIENT_ID:
        return None
    return value if value.isprintable() else None
