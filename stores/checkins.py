"""Check-ins: one row per reflection in the reflections store, and how a scheduler claims them.

A row goes ``pending`` -> ``claimed`` (a scheduler holds a lease on it) -> ``sent`` (the
action asked the question) -> ``answered``; a web page's row that falls due while the
page is closed goes ``claimed`` -> ``held`` and is claimed again when the page connects;
or a row goes to ``cancelled`` ("stop check-ins") or ``failed`` (delivery kept failing).
The rows hold no words of the person (the question quotes the reflection, whose answers
are encrypted); the outcome is logged on the reflection itself (pause/repository.py).

Why a check-in cannot be sent twice:

1. **Claiming.** A scheduler takes due rows in one transaction: on PostgreSQL
   ``SELECT ... FOR UPDATE SKIP LOCKED`` (a second scheduler skips the locked rows) and
   an ``UPDATE`` to ``claimed``; on SQLite, per row, ``UPDATE ... SET status='claimed'
   WHERE id=? AND <still claimable>``, which SQLite's write lock makes atomic: only one
   scheduler sees ``rowcount == 1``. A claim is a lease: if its scheduler dies, the row
   is claimable again after ``lease_until``.
2. **Sending.** The question is uttered only by the action that moves the row from
   ``claimed`` to ``sent`` (:meth:`CheckinStore.mark_sent`, again a conditional
   ``UPDATE`` with ``rowcount == 1``). A second trigger for the same row (a re-claim
   after an expired lease, a retried request) finds it ``sent`` and says nothing.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
ANSWERED = "answered"
CANCELLED = "cancelled"
FAILED = "failed"
HELD = "held"  # due, for a web page that is closed: shown when it next connects

checkins_metadata = sa.MetaData()
checkins_table = sa.Table(
    "checkins",
    checkins_metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("reflection_id", sa.String(32), nullable=False, unique=True),  # one per reflection
    sa.Column("user_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("timezone", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def utc(value: datetime) -> datetime:
    """``value`` in UTC: every time is stored in UTC (SQLite keeps no zone)."""
    return value.astimezone(timezone.utc)


def _utc(value: Optional[datetime]) -> Optional[datetime]:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Checkin:
    """One check-in row."""

    id: str
    reflection_id: str
    user_id: str
    channel: str
    status: str
    due_at: datetime
    attempts: int = 0
    timezone: Optional[str] = None
    claimed_by: Optional[str] = None


def _from_row(row: Any) -> Checkin:
    return Checkin(
        id=row.id,
        reflection_id=row.reflection_id,
        user_id=row.user_id,
        channel=row.channel,
        status=row.status,
        due_at=_utc(row.due_at) or row.due_at,
        attempts=int(row.attempts or 0),
        timezone=row.timezone,
        claimed_by=row.claimed_by,
    )


def _claimable(now: datetime) -> Any:
    table = checkins_table
    return sa.or_(
        sa.and_(table.c.status == PENDING, table.c.due_at <= now),
        sa.and_(table.c.status == CLAIMED, table.c.lease_until <= now),  # its scheduler died
    )


class CheckinStore:
    """Reads and writes check-ins on the reflections store's engine."""

    def __init__(self, engine: Engine) -> None:
        """Use ``engine`` (its ``checkins`` table is created by the reflection repository)."""
        self._engine = engine

    def schedule(
        self,
        reflection_id: str,
        user_id: str,
        channel: str,
        due_at: datetime,
        now: datetime,
        tz_name: Optional[str] = None,
    ) -> Optional[Checkin]:
        """Add the check-in of ``reflection_id``; None if that reflection already has one."""
        table = checkins_table
        due_at, now = utc(due_at), utc(now)
        values = dict(
            id=uuid.uuid4().hex, reflection_id=reflection_id, user_id=user_id,
            channel=channel, timezone=tz_name, status=PENDING, due_at=due_at, attempts=0,
            created_at=now, updated_at=now,
        )
        try:
            with self._engine.begin() as conn:
                existing = conn.execute(
                    sa.select(table.c.id).where(table.c.reflection_id == reflection_id)
                ).first()
                if existing is not None:
                    return None
                conn.execute(table.insert().values(**values))
        except IntegrityError:  # scheduled at the same moment by another request
            return None
        return _from_row(_Values(values))

    def for_reflection(self, reflection_id: str) -> Optional[Checkin]:
        """The check-in of ``reflection_id``, if it has one."""
        table = checkins_table
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(table).where(table.c.reflection_id == reflection_id)
            ).first()
        return _from_row(row) if row is not None else None

    def get(self, checkin_id: str, user_id: str) -> Optional[Checkin]:
        """One of ``user_id``'s check-ins, or None."""
        table = checkins_table
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(table).where(table.c.id == checkin_id, table.c.user_id == user_id)
            ).first()
        return _from_row(row) if row is not None else None

    def for_user(self, user_id: str) -> List[Checkin]:
        """All of ``user_id``'s check-ins, soonest first."""
        table = checkins_table
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(table).where(table.c.user_id == user_id).order_by(table.c.due_at)
            ).all()
        return [_from_row(row) for row in rows]

    def claim_due(
        self, worker: str, now: datetime, lease_seconds: float, limit: int = 20
    ) -> List[Checkin]:
        """Claim up to ``limit`` due check-ins for ``worker``; nobody else gets them.

        See the module docstring for why two schedulers never both get a row.
        """
        now = utc(now)
        lease = now + timedelta(seconds=lease_seconds)
        table = checkins_table
        claimed: List[Checkin] = []
        with self._engine.begin() as conn:
            query = sa.select(table.c.id).where(_claimable(now)).order_by(table.c.due_at)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = conn.execute(query.limit(limit)).scalars().all()
            for checkin_id in ids:
                if self._take(conn, checkin_id, worker, now, lease):
                    row = conn.execute(sa.select(table).where(table.c.id == checkin_id)).first()
                    claimed.append(_from_row(row))
        return claimed

    @staticmethod
    def _take(
        conn: Connection, checkin_id: str, worker: str, now: datetime, lease: datetime
    ) -> bool:
        table = checkins_table
        result = conn.execute(
            table.update()
            .where(table.c.id == checkin_id, _claimable(now))
            .values(status=CLAIMED, claimed_by=worker, lease_until=lease, updated_at=now)
        )
        return int(result.rowcount or 0) == 1

    def _move(self, where: Any, now: datetime, **values: Any) -> int:
        table = checkins_table
        values = {k: utc(v) if isinstance(v, datetime) else v for k, v in values.items()}
        now = utc(now)
        with self._engine.begin() as conn:
            result = conn.execute(table.update().where(where).values(updated_at=now, **values))
        return int(result.rowcount or 0)

    def mark_sent(self, checkin_id: str, user_id: str, now: datetime) -> bool:
        """Claimed -> sent; True for exactly one caller (only that one asks the question)."""
        table = checkins_table
        where = sa.and_(
            table.c.id == checkin_id, table.c.user_id == user_id, table.c.status == CLAIMED
        )
        return self._move(where, now, status=SENT, lease_until=None) == 1

    def mark_answered(self, checkin_id: str, user_id: str, now: datetime) -> bool:
        """Sent -> answered."""
        table = checkins_table
        where = sa.and_(
            table.c.id == checkin_id, table.c.user_id == user_id, table.c.status == SENT
        )
        return self._move(where, now, status=ANSWERED) == 1

    def _move_claimed(self, checkin_id: str, worker: str, now: datetime, **values: Any) -> bool:
        """Moves a row that ``worker`` holds the claim of; True when it did."""
        table = checkins_table
        where = sa.and_(
            table.c.id == checkin_id, table.c.status == CLAIMED, table.c.claimed_by == worker
        )
        return self._move(where, now, **values) == 1

    def release(
        self, checkin_id: str, worker: str, now: datetime, retry_at: datetime, error: str
    ) -> bool:
        """Claimed (by ``worker``) -> pending again, to be retried at ``retry_at``."""
        return self._move_claimed(
            checkin_id, worker, now, status=PENDING, due_at=retry_at,
            attempts=checkins_table.c.attempts + 1, claimed_by=None, lease_until=None,
            last_error=error[:64],
        )

    def postpone(self, checkin_id: str, worker: str, now: datetime, due_at: datetime) -> bool:
        """Claimed (by ``worker``) -> pending at ``due_at`` (quiet hours); not an attempt."""
        return self._move_claimed(checkin_id, worker, now, status=PENDING, due_at=due_at,
                                  claimed_by=None, lease_until=None)

    def fail(self, checkin_id: str, worker: str, now: datetime, error: str) -> bool:
        """Claimed (by ``worker``) -> failed: delivery was tried too often."""
        return self._move_claimed(checkin_id, worker, now, status=FAILED,
                                  attempts=checkins_table.c.attempts + 1, lease_until=None,
                                  last_error=error[:64])

    def hold(self, checkin_id: str, worker: str, now: datetime) -> bool:
        """Claimed (by ``worker``) -> held: the page is closed; shown on the next visit."""
        return self._move_claimed(checkin_id, worker, now, status=HELD, claimed_by=None,
                                  lease_until=None)

    def claim_held(
        self, user_id: str, worker: str, now: datetime, lease_seconds: float
    ) -> List[Checkin]:
        """Claim ``user_id``'s held check-ins (their page just connected); each goes to one."""
        table = checkins_table
        now = utc(now)
        lease = now + timedelta(seconds=lease_seconds)
        taken: List[Checkin] = []
        with self._engine.begin() as conn:
            ids = conn.execute(
                sa.select(table.c.id).where(table.c.user_id == user_id, table.c.status == HELD)
            ).scalars().all()
            for checkin_id in ids:
                result = conn.execute(
                    table.update()
                    .where(table.c.id == checkin_id, table.c.status == HELD)
                    .values(status=CLAIMED, claimed_by=worker, lease_until=lease, updated_at=now)
                )
                if int(result.rowcount or 0) == 1:
                    row = conn.execute(sa.select(table).where(table.c.id == checkin_id)).first()
                    taken.append(_from_row(row))
        return taken

    def cancel_for_user(self, user_id: str, now: datetime) -> int:
        """Cancel all of ``user_id``'s pending check-ins ("stop check-ins")."""
        table = checkins_table
        where = sa.and_(table.c.user_id == user_id, table.c.status.in_([PENDING, HELD]))
        return self._move(where, now, status=CANCELLED)

    def resume_for_user(self, user_id: str, now: datetime) -> int:
        """Turn ``user_id``'s cancelled check-ins back on (due at once if their time passed)."""
        table = checkins_table
        where = sa.and_(table.c.user_id == user_id, table.c.status == CANCELLED)
        return self._move(where, now, status=PENDING)

    @staticmethod
    def delete_for_user(conn: Connection, user_id: str) -> int:
        """Delete all of ``user_id``'s check-ins within the caller's transaction ("forget me")."""
        table = checkins_table
        result = conn.execute(table.delete().where(table.c.user_id == user_id))
        return int(result.rowcount or 0)


class _Values:
    """Attribute access over a dict of column values (rows read back look the same)."""

    def __init__(self, values: Any) -> None:
        self.__dict__.update(values)
        self.claimed_by = values.get("claimed_by")
