"""An SQL tracker store that encrypts its events and can forget a conversation.

Rasa's ``SQLTrackerStore`` appends the events of each turn as JSON. This subclass

* encrypts each event's JSON (stores/crypto.py), so what people wrote, and the slots
  holding their answers, are not readable in the database; the ``type_name``,
  ``intent_name`` and ``action_name`` columns Rasa queries stay as they are;
* when a turn contains the ``forget_me`` marker (set by ``action_delete_reflections``),
  deletes every stored event of that sender, in the same transaction, and keeps only
  what came after the marker;
* migrates an existing database once (stores/migrations.py): sender ids scoped by
  channel, then plain events encrypted.

SQLite and PostgreSQL work alike (``url`` is a full SQLAlchemy URL).
"""

import json
import logging
from pathlib import Path
from typing import Any, Iterable, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from stores.crypto import Cipher, default_cipher
from stores.forget import FORGET_SLOT
from stores.migrations import (
    ENCRYPTED_AT_REST,
    SCOPED_IDENTITIES,
    encrypt_columns,
    run_once,
    scope_tracker_events,
)

logger = logging.getLogger(__name__)


def _is_marker(event: Event) -> bool:
    return isinstance(event, SlotSet) and event.key == FORGET_SLOT and bool(event.value)


class ForgettingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with encrypted events that honours the ``forget_me`` marker."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        cipher: Optional[Cipher] = None,
        **kwargs: Any,
    ) -> None:
        """Create the store; ``host`` is the full database URL from endpoints.yml."""
        if host and host.startswith("sqlite:///"):
            Path(host[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        self.cipher = cipher or default_cipher()
        events = self.SQLEvent.__table__
        run_once(self.engine, SCOPED_IDENTITIES, scope_tracker_events(events))  # type: ignore
        encrypt = encrypt_columns(events, ["data"], self.cipher)  # type: ignore[arg-type]
        run_once(self.engine, ENCRYPTED_AT_REST, encrypt)

    def _add(self, session: Any, sender_id: str, events: Iterable[Event]) -> None:
        for event in events:
            data = event.as_dict()
            session.add(
                self.SQLEvent(
                    sender_id=sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                    action_name=data.get("name"),
                    data=self.cipher.encrypt(json.dumps(data)),
                )
            )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the turn's events, or forget the sender when the turn asks to."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            new_events: List[Event] = list(self._additional_events(session, tracker))
            markers = [i for i, event in enumerate(new_events) if _is_marker(event)]
            if not markers:
                self._add(session, tracker.sender_id, new_events)
                session.commit()
                return
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .delete(synchronize_session=False)
            )
            self._add(session, tracker.sender_id, new_events[markers[-1] + 1 :])
            session.commit()
        logger.info("Forgot a conversation (%d stored events deleted).", deleted)

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """Read and decrypt the conversation's events (as Rasa's store does, otherwise)."""
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [json.loads(self.cipher.decrypt(row.data) or "{}") for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None
