"""Looking back: list, map, export and delete a person's own reflections."""

import logging
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.exercise import save_all, unsaved_reflections
from actions.insights import Phrases, build_map, observation_response
from actions.steps import misread_answer
from pause.export import render_markdown
from pause.links import export_url
from pause.repository import Reflection, StoreUnavailable, default_repository
from pause.responses import response_text
from pause.settings import load_settings
from stores.forget import FORGET_SLOT

logger = logging.getLogger(__name__)

#: Channels that can deliver the export as a file (the connectors in channels/).
FILE_CHANNELS = frozenset({"telegram", "slack"})
#: The web page's channel: the export is a signed download link served by webapp/.
WEB_CHANNEL = "socketio"
EXPORT_FILENAME = "pause-reflections.md"


def _stored_reflections(tracker: Tracker, limit: int = 0) -> List[Reflection]:
    """Flush anything unsaved, then read the sender's reflections (newest first)."""
    pending = unsaved_reflections(tracker)
    if pending:
        save_all(pending)
    return default_repository().for_user(tracker.sender_id, limit or None)


class LookBackAction(Action, metaclass=ABCMeta):
    """Base of the actions that read the sender's reflections.

    Inside the exercise a misread answer goes back to the step; otherwise the
    reflections are read (after saving any kept for a retry) and handed to
    :meth:`respond`, or the person hears that there are none or the store is down.
    """

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Read the sender's reflections and respond with them."""
        misread = misread_answer(tracker, dispatcher)
        if misread is not None:
            return misread
        try:
            reflections = _stored_reflections(tracker, self.limit() or 0)
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_store_unavailable")
            return []
        if not reflections:
            dispatcher.utter_message(response="utter_no_reflections")
            return []
        self.respond(dispatcher, tracker, domain, reflections)
        return []

    def limit(self) -> Optional[int]:
        """How many reflections to read, newest first (None: all)."""
        return None

    @abstractmethod
    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        reflections: List[Reflection],
    ) -> None:
        """Utter what the action shows; ``reflections`` is never empty."""


class ActionShowReflections(LookBackAction):
    """Shows the latest few reflections, newest first, in one short message."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_show_reflections"

    def limit(self) -> Optional[int]:
        """How many to show (``REFLECTIONS_SHOWN``)."""
        return load_settings().reflections_shown

    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        reflections: List[Reflection],
    ) -> None:
        """List one line per reflection."""
        line = response_text(domain, "utter_reflection_line")
        lines = [
            line.format(
                date=r.created_at.strftime("%d %b %Y"),
                status=r.status,
                noticed=r.answer("noticed") or "-",
                verdict=r.answer("verdict") or "-",
            )
            for r in reflections
        ]
        dispatcher.utter_message(
            response="utter_reflections_list", reflection_list="\n".join(lines)
        )


class ActionShowMap(LookBackAction):
    """Shows the patterns across all of the person's reflections."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_show_map"

    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        reflections: List[Reflection],
    ) -> None:
        """Utter the map, then a gentle observation that fits it."""
        summary = build_map(reflections, Phrases(domain))
        dispatcher.utter_message(
            response="utter_map",
            reflection_count=summary.reflection_count,
            top_signals=summary.top_signals,
            top_triggers=summary.top_triggers,
            top_reasons=summary.top_reasons,
            verdict_split=summary.verdict_split,
            wait_summary=summary.wait_summary,
            outcome_summary=summary.outcome_summary,
        )
        dispatcher.utter_message(response=observation_response(summary))


class ActionExportReflections(LookBackAction):
    """Exports every reflection.

    A download link on the web page, a file in messaging apps, and a Markdown
    document in the chat elsewhere.
    """

    def name(self) -> Text:
        """Return the action's name."""
        return "action_export_reflections"

    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        reflections: List[Reflection],
    ) -> None:
        """Send the export in the form the channel handles best."""
        settings = load_settings()
        channel = tracker.get_latest_input_channel()
        if channel == WEB_CHANNEL and settings.export_secret:
            dispatcher.utter_message(
                response="utter_reflections_export_link",
                export_url=export_url(settings, tracker.sender_id),
                export_minutes=max(1, settings.export_ttl_seconds // 60),
            )
            return
        document = render_markdown(reflections, domain)
        if channel in FILE_CHANNELS:
            dispatcher.utter_message(response="utter_reflections_export_file")
            dispatcher.utter_message(
                json_message={"type": "document", "filename": EXPORT_FILENAME, "content": document}
            )
            return
        dispatcher.utter_message(response="utter_reflections_export", document=document)


class ActionDeleteReflections(Action):
    """Deletes the person's reflections and, with them, their conversation history."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_delete_reflections"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Delete everything; the tracker store drops the history on ``forget_me``."""
        try:
            count = default_repository().delete_user(tracker.sender_id)
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_store_unavailable")
            return []
        dispatcher.utter_message(response="utter_reflections_deleted", deleted_count=count)
        return [AllSlotsReset(), SlotSet(FORGET_SLOT, True)]
