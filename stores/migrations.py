"""One-time data migrations of the two stores, each applied once per database.

A migration runs in one transaction together with the row that records it in
``pause_migrations``; a second process that races it fails on that row's primary key
and rolls its own attempt back, so a step is applied exactly once. A new, empty
database records the steps as applied on creation (there is nothing to change).

``encrypted_at_rest``: answers and events are encrypted (stores/crypto.py); the step
encrypts the values written before (``scripts/rotate_data_keys.py`` uses the same pass
to re-encrypt everything with a new key).

``checkin_outcomes``: reflections get ``outcome``, ``outcome_words`` (encrypted) and
``outcome_at``, what a check-in's answer logs (stores/checkins.py); a new database has
them from the start.

``scoped_identities``: sender ids became ``<channel>:<platform id>`` (channels/identity.py).

* reflections: ``user_id`` gets the prefix of the row's ``channel`` column;
* tracker store: each conversation gets the prefix of the input channel of its latest
  user message (``unknown:`` when it has none).

Rows written before the migration can't tell a real Telegram user from a REST client
that claimed to be one; both end up under the channel they were stored with.
"""

import json
import logging
from datetime import datetime, timezone
from typing import Callable, Dict, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from stores.crypto import PREFIX, Cipher

logger = logging.getLogger(__name__)

SCOPED_IDENTITIES = "scoped_identities"
ENCRYPTED_AT_REST = "encrypted_at_rest"
CHECKIN_OUTCOMES = "checkin_outcomes"
UNKNOWN_CHANNEL = "unknown"

_metadata = sa.MetaData()
migrations_table = sa.Table(
    "pause_migrations",
    _metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


def run_once(engine: Engine, name: str, step: Callable[[Connection], int]) -> bool:
    """Apply ``step`` unless the database records ``name`` as applied.

    Returns:
        Whether this call applied it.

    """
    _metadata.create_all(engine)
    table = migrations_table
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(table.c.name).where(table.c.name == name)).first():
                return False
            changed = step(conn)
            conn.execute(table.insert().values(name=name, applied_at=datetime.now(timezone.utc)))
    except IntegrityError:  # another process applied it at the same moment
        return False
    logger.info("Applied migration %s (%d rows).", name, changed)
    return True


def scope_reflections(table: sa.Table) -> Callable[[Connection], int]:
    """The step that prefixes every reflection's ``user_id`` with its ``channel``."""

    def step(conn: Connection) -> int:
        scoped = table.c.channel + ":" + table.c.user_id
        result = conn.execute(table.update().values(user_id=scoped))
        return int(result.rowcount or 0)

    return step


def add_columns(table: sa.Table, names: Sequence[str]) -> Callable[[Connection], int]:
    """The step that adds ``table``'s columns ``names`` where the database lacks them."""

    def step(conn: Connection) -> int:
        present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        added = 0
        for name in names:
            if name in present:
                continue
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {kind}'))
            added += 1
        return added

    return step


def scope_tracker_events(events: sa.Table) -> Callable[[Connection], int]:
    """The step that prefixes every conversation's sender id with its input channel."""

    def step(conn: Connection) -> int:
        channels: Dict[str, str] = {}
        senders = conn.execute(sa.select(events.c.sender_id).distinct()).scalars().all()
        users = conn.execute(
            sa.select(events.c.sender_id, events.c.data)
            .where(events.c.type_name == "user")
            .order_by(events.c.id)
        )
        for sender, data in users:
            try:
                channel = json.loads(data).get("input_channel")
            except (TypeError, ValueError, AttributeError):
                channel = None
            if isinstance(channel, str) and channel and ":" not in channel:
                channels[sender] = channel
        for sender in senders:
            scoped = f"{channels.get(sender, UNKNOWN_CHANNEL)}:{sender}"
            conn.execute(
                events.update().where(events.c.sender_id == sender).values(sender_id=scoped)
            )
        return len(senders)

    return step


def encrypt_columns(
    table: sa.Table, columns: Sequence[str], cipher: Cipher, rotate: bool = False
) -> Callable[[Connection], int]:
    """The step that encrypts ``columns`` of every row (or re-encrypts, with ``rotate``).

    The table's primary key must be its ``id`` column.
    """

    def step(conn: Connection) -> int:
        changed = 0
        rows = conn.execute(sa.select(table.c.id, *(table.c[c] for c in columns))).all()
        for row in rows:
            values = {}
            for column in columns:
                value = getattr(row, column)
                if value is None or (not rotate and value.startswith(PREFIX)):
                    continue  # nothing there, or encrypted already
                values[column] = cipher.rotate(value)
            if values:
                conn.execute(table.update().where(table.c.id == row.id).values(**values))
                changed += 1
        return changed

    return step


def rotate_table(url: str, name: str, columns: Sequence[str], cipher: Cipher) -> int:
    """Re-encrypt ``columns`` of every row of table ``name`` with ``cipher``'s first key.

    Returns:
        How many rows changed.

    Raises:
        RuntimeError: If the servers of this version have not migrated the store yet.

    """
    engine = sa.create_engine(url)
    try:
        _metadata.create_all(engine)
        with engine.begin() as conn:
            applied = conn.execute(
                sa.select(migrations_table.c.name).where(
                    migrations_table.c.name == ENCRYPTED_AT_REST
                )
            ).first()
            if not applied:
                raise RuntimeError(f"{name}: start the servers once before rotating keys")
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            return encrypt_columns(table, columns, cipher, rotate=True)(conn)
    finally:
        engine.dispose()
