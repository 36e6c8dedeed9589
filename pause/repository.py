"""Storage of reflections: one small repository class over SQLAlchemy.

A SQLite file by default, PostgreSQL when ``REFLECTIONS_DB_URL`` names one. Every
write is one transaction. The answers are encrypted (stores/crypto.py); nothing here
logs what a person wrote.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from pause.settings import load_settings
from pause.steps import STEPS
from stores.checkins import CheckinStore, checkins_metadata
from stores.crypto import Cipher, default_cipher
from stores.engines import engine_options
from stores.migrations import (
    CHECKIN_OUTCOMES,
    ENCRYPTED_AT_REST,
    SCOPED_IDENTITIES,
    add_columns,
    encrypt_columns,
    run_once,
    scope_reflections,
)

logger = logging.getLogger(__name__)

FINISHED = "finished"
UNFINISHED = "unfinished"

_metadata = sa.MetaData()
reflections_table = sa.Table(
    "reflections",
    _metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("signal", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    *(sa.Column(step, sa.Text) for step in STEPS),
    # What the check-in's answer logged (stores/checkins.py); the words are encrypted.
    sa.Column("outcome", sa.String(16)),
    sa.Column("outcome_words", sa.Text),
    sa.Column("outcome_at", sa.DateTime(timezone=True)),
)
OUTCOME_COLUMNS = ("outcome", "outcome_words", "outcome_at")


class StoreUnavailable(Exception):
    """The reflection store could not be read or written."""


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(timezone.utc)


def new_reflection_id() -> str:
    """Return a fresh random reflection id."""
    return uuid.uuid4().hex


@dataclass
class Reflection:
    """One pause exercise, finished or not."""

    id: str
    user_id: str
    channel: str
    status: str = UNFINISHED
    signal: Optional[str] = None
    answers: Dict[str, Optional[str]] = field(default_factory=dict)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    outcome: Optional[str] = None
    outcome_words: Optional[str] = None
    outcome_at: Optional[datetime] = None

    def answer(self, step: str) -> Optional[str]:
        """Return the answer given at ``step``, if any."""
        return self.answers.get(step)

    def to_dict(self) -> Dict[str, Any]:
        """Return a JSON-safe dict (kept in a slot when the store is down)."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "channel": self.channel,
            "status": self.status,
            "signal": self.signal,
            "answers": dict(self.answers),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Reflection":
        """Build a reflection from :meth:`to_dict` output."""
        return cls(
            id=data["id"],
            user_id=data["user_id"],
            channel=data["channel"],
            status=data["status"],
            signal=data.get("signal"),
            answers=dict(data.get("answers") or {}),
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
        )


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _from_row(row: Any, cipher: Cipher) -> Reflection:
    return Reflection(
        id=row.id,
        user_id=row.user_id,
        channel=row.channel,
        status=row.status,
        signal=row.signal,
        answers={step: cipher.decrypt(getattr(row, step)) for step in STEPS},
        created_at=_as_utc(row.created_at),
        updated_at=_as_utc(row.updated_at),
        outcome=row.outcome,
        outcome_words=cipher.decrypt(row.outcome_words),
        outcome_at=_as_utc(row.outcome_at) if row.outcome_at is not None else None,
    )


class ReflectionRepository:
    """Reads and writes reflections; connects lazily, on first use."""

    def __init__(self, url: str, cipher: Optional[Cipher] = None) -> None:
        """Create a repository for the database at ``url`` (no connection yet).

        Args:
            url: SQLAlchemy URL of the database.
            cipher: Encrypts the answers (default: the environment's data keys).

        """
        self._url = url
        self._engine: Optional[Engine] = None
        self._cipher = cipher

    @property
    def cipher(self) -> Cipher:
        """The cipher of the answers, loaded on first use."""
        if self._cipher is None:
            self._cipher = default_cipher()
        return self._cipher

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created (with the table) on first use."""
        if self._engine is None:
            try:
                url = sa.engine.make_url(self._url)
                if url.get_backend_name() == "sqlite" and url.database:
                    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(self._url, future=True, **engine_options(self._url))
                _metadata.create_all(engine)
                checkins_metadata.create_all(engine)
                run_once(engine, CHECKIN_OUTCOMES, add_columns(reflections_table, OUTCOME_COLUMNS))
                run_once(engine, SCOPED_IDENTITIES, scope_reflections(reflections_table))
                steps = encrypt_columns(reflections_table, STEPS, self.cipher)
                run_once(engine, ENCRYPTED_AT_REST, steps)
            except (SQLAlchemyError, OSError) as error:
                raise StoreUnavailable(type(error).__name__) from error
            self._engine = engine
        return self._engine

    def save(self, reflection: Reflection) -> None:
        """Insert or update ``reflection`` (by id) in one transaction."""
        reflection.updated_at = now()
        values = {
            "user_id": reflection.user_id,
            "channel": reflection.channel,
            "signal": reflection.signal,
            "status": reflection.status,
            "updated_at": reflection.updated_at,
            **{step: self.cipher.encrypt(reflection.answers.get(step)) for step in STEPS},
        }
        table = reflections_table
        try:
            with self.engine.begin() as conn:
                owner = conn.execute(
                    sa.select(table.c.user_id).where(table.c.id == reflection.id)
                ).scalar_one_or_none()
                if owner is None:
                    conn.execute(
                        table.insert().values(
                            id=reflection.id, created_at=reflection.created_at, **values
                        )
                    )
                elif owner == reflection.user_id:
                    conn.execute(table.update().where(table.c.id == reflection.id).values(**values))
                else:
                    raise StoreUnavailable("reflection id belongs to another user")
        except SQLAlchemyError as error:
            raise StoreUnavailable(type(error).__name__) from error
        logger.info("Saved reflection %s (%s).", reflection.id, reflection.status)

    def for_user(self, user_id: str, limit: Optional[int] = None) -> List[Reflection]:
        """Return ``user_id``'s reflections, newest first."""
        table = reflections_table
        query = (
            sa.select(table)
            .where(table.c.user_id == user_id)
            .order_by(table.c.created_at.desc(), table.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        try:
            with self.engine.connect() as conn:
                return [_from_row(row, self.cipher) for row in conn.execute(query)]
        except SQLAlchemyError as error:
            raise StoreUnavailable(type(error).__name__) from error

    def get(self, user_id: str, reflection_id: str) -> Optional[Reflection]:
        """Return one of ``user_id``'s reflections, or None."""
        table = reflections_table
        query = sa.select(table).where(table.c.id == reflection_id, table.c.user_id == user_id)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as error:
            raise StoreUnavailable(type(error).__name__) from error
        return _from_row(row, self.cipher) if row is not None else None

    def latest_unfinished(self, user_id: str) -> Optional[Reflection]:
        """Return ``user_id``'s most recently updated unfinished reflection."""
        table = reflections_table
        query = (
            sa.select(table)
            .where(table.c.user_id == user_id, table.c.status == UNFINISHED)
            .order_by(table.c.updated_at.desc())
            .limit(1)
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as error:
            raise StoreUnavailable(type(error).__name__) from error
        return _from_row(row, self.cipher) if row is not None else None

    @property
    def checkins(self) -> CheckinStore:
        """The check-ins kept in the same database."""
        return CheckinStore(self.engine)

    def log_outcome(
        self,
        user_id: str,
        reflection_id: str,
        outcome: str,
        words: Optional[str],
        at: datetime,
    ) -> bool:
        """Log a check-in's answer on one of ``user_id``'s reflections."""
        table = reflections_table
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    table.update()
                    .where(table.c.id == reflection_id, table.c.user_id == user_id)
                    .values(
                        outcome=outcome,
                        outcome_words=self.cipher.encrypt(words),
                        outcome_at=at.astimezone(timezone.utc),
                    )
                )
        except SQLAlchemyError as error:
            raise StoreUnavailable(type(error).__name__) from error
        return int(result.rowcount or 0) == 1

    def delete_user(self, user_id: str) -> int:
        """Delete all of ``user_id``'s reflections and check-ins; return how many reflections."""
        table = reflections_table
        try:
            with self.engine.begin() as conn:
                CheckinStore.delete_for_user(conn, user_id)
                result = conn.execute(table.delete().where(table.c.user_id == user_id))
        except SQLAlchemyError as error:
            raise StoreUnavailable(type(error).__name__) from error
        logger.info("Deleted %s reflections of one user.", result.rowcount)
        return int(result.rowcount or 0)

    def dispose(self) -> None:
        """Close the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


@lru_cache(maxsize=1)
def default_repository() -> ReflectionRepository:
    """Return the process-wide repository for ``REFLECTIONS_DB_URL``."""
    return ReflectionRepository(load_settings().reflections_db_url)
