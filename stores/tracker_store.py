"""An SQL tracker store that can forget a conversation.

Rasa's ``SQLTrackerStore`` appends the events of each turn. When a turn contains
the ``forget_me`` marker (set by ``action_delete_reflections``), this subclass
deletes every stored event of that sender, in the same transaction, and keeps only
what came after the marker. SQLite and PostgreSQL work alike (``url`` is a full
SQLAlchemy URL).
"""

import json
import logging
from pathlib import Path
from typing import Any, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from stores.forget import FORGET_SLOT

logger = logging.getLogger(__name__)


def _is_marker(event: Event) -> bool:
    return isinstance(event, SlotSet) and event.key == FORGET_SLOT and bool(event.value)


class ForgettingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that honours the ``forget_me`` marker."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        """Create the store; ``host`` is the full database URL from endpoints.yml."""
        if host and host.startswith("sqlite:///"):
            Path(host[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the turn's events, or forget the sender when the turn asks to."""
        with self.session_scope() as session:
            new_events: List[Event] = list(self._additional_events(session, tracker))
            markers = [i for i, event in enumerate(new_events) if _is_marker(event)]
            if not markers:
                await super().save(tracker)
                return
            kept = new_events[markers[-1] + 1 :]
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .delete(synchronize_session=False)
            )
            for event in kept:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        logger.info("Forgot a conversation (%d stored events deleted).", deleted)
