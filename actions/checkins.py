"""Check-ins: the offer after a saved exercise, the question when one falls due, the answer.

The rows live in the reflections store (stores/checkins.py); the scheduler (scheduler/)
claims due ones and triggers ``EXTERNAL_checkin_due`` through Rasa's API, which runs
:class:`ActionStartCheckin` here. Times come from :mod:`pause.checkins`.
"""

import logging
from datetime import datetime, tzinfo
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.safety_check import safety_first
from actions.vocabulary import SIGNAL_LABELS
from pause import repository
from pause.checkins import (
    ACTED,
    PASSED,
    TALK,
    QuietHours,
    known_zone,
    outcome_of,
    parse_due,
    zone,
    zone_label,
)
from pause.repository import Reflection, StoreUnavailable, default_repository
from pause.responses import response_text
from pause.settings import load_settings

logger = logging.getLogger(__name__)

CHECKIN_FORM = "checkin_form"
OFFERED = "checkin_reflection"
OFF = "checkins_off"
#: What the offer's buttons stand for (``/schedule_checkin{"choice": ...}``).
CHOICES = {"tonight": "tonight", "tomorrow": "tomorrow"}
_NOT_AN_ANSWER = {"", "skipped", "confirmed"}


def person_zone(tracker: Tracker) -> Optional[str]:
    """The time zone the person's own device reported with their latest message, if any.

    The web page sends the browser's (``customData.timeZone``, kept as the message's
    metadata); other channels tell none. Only ever used to read and place their own times.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return known_zone((event.get("metadata") or {}).get("timeZone"))
    return None


def _tz(tracker: Optional[Tracker] = None) -> Tuple[tzinfo, Optional[str]]:
    """The zone to read times in: the person's, else ``CHECKIN_TIMEZONE``, else the server's."""
    name = (person_zone(tracker) if tracker is not None else None) or (
        load_settings().checkin_timezone or None)
    return zone(name), name


def _when(due: datetime) -> Dict[str, Any]:
    return {
        "checkin_day": due.strftime("%A %d %B"),
        "checkin_time": due.strftime("%H:%M"),
        "checkin_zone": zone_label(due),
    }


def due_time(
    text: Optional[str], now: datetime, tz: Optional[tzinfo] = None
) -> Optional[datetime]:
    """When to check in for ``text``, moved out of the quiet hours; None if it names none.

    ``tz`` is the person's zone (``_tz``'s by default).
    """
    tz = tz or _tz()[0]
    due = parse_due(text, now, tz)
    if due is None:
        return None
    return QuietHours.parse(load_settings().checkin_quiet_hours).next_allowed(due, tz)


def offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, saved: Reflection
) -> List[EventType]:
    """Offer a check-in for ``saved`` if it has a wait time and the channel can deliver one."""
    wait = (saved.answer("wait") or "").strip()
    settings = load_settings()
    if not wait or wait == "skipped" or tracker.get_slot(OFF):
        return []
    if saved.channel not in settings.checkin_channel_names:
        return []
    due = due_time(wait, repository.now(), _tz(tracker)[0])
    if due is None:
        dispatcher.utter_message(response="utter_checkin_offer_no_time")
    else:
        dispatcher.utter_message(response="utter_checkin_offer", **_when(due))
    return [SlotSet(OFFERED, saved.id)]


def noticed_words(reflection: Reflection, domain: DomainDict) -> str:
    """The person's words for what they noticed (or the signal's name), for the question."""
    noticed = (reflection.answer("noticed") or "").strip()
    if noticed.lower() not in _NOT_AN_ANSWER:
        return noticed
    label = SIGNAL_LABELS.get(reflection.signal or "")
    return label or response_text(domain, "utter_checkin_unnamed")


class ActionScheduleCheckin(Action):
    """Schedules the check-in offered after the exercise, at the time chosen or typed."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_schedule_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Store the check-in (at most one per reflection) and confirm its time in words."""
        if tracker.get_slot(OFF):
            dispatcher.utter_message(response="utter_checkins_are_off")
            return []
        reflection_id = tracker.get_slot(OFFERED)
        repo = default_repository()
        tz, tz_name = _tz(tracker)
        try:
            reflection = repo.get(tracker.sender_id, reflection_id) if reflection_id else None
            if reflection is None:
                dispatcher.utter_message(response="utter_checkin_nothing")
                return []
            existing = repo.checkins.for_reflection(reflection.id)
            if existing is not None:
                dispatcher.utter_message(
                    response="utter_checkin_already",
                    **_when(existing.due_at.astimezone(tz)),
                )
                return [SlotSet(OFFERED, None)]
            now = repository.now()
            choice = next(tracker.get_latest_entity_values("choice"), None)
            if choice in CHOICES:
                due = due_time(CHOICES[choice], now, tz)
            elif choice == "wait":
                due = due_time(reflection.answer("wait"), now, tz)
            else:  # typed: "check in with me in 20 minutes", else the wait they named
                text = tracker.latest_message.get("text")
                due = due_time(text, now, tz) or due_time(reflection.answer("wait"), now, tz)
            if due is None:
                dispatcher.utter_message(response="utter_checkin_offer_no_time")
                return []
            checkin = repo.checkins.schedule(
                reflection.id, tracker.sender_id, reflection.channel, due, now, tz_name
            )
        except (StoreUnavailable, SQLAlchemyError):
            dispatcher.utter_message(response="utter_store_unavailable")
            return []
        if checkin is None:  # scheduled a moment ago by another request
            dispatcher.utter_message(response="utter_checkin_already", **_when(due))
        else:
            dispatcher.utter_message(response="utter_checkin_scheduled", **_when(due))
        return [SlotSet(OFFERED, None)]


class ActionStartCheckin(Action):
    """Asks how the pause went; runs when the scheduler triggers ``EXTERNAL_checkin_due``."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_start_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Move the claimed row to sent (exactly one caller wins), then ask the question.

        A row that is not this sender's, or not claimed (sent already, cancelled), gets
        no message. While another form runs the row stays claimed: the scheduler sees
        it unsent and retries later.
        """
        checkin_id = next(tracker.get_latest_entity_values("checkin"), None)
        if not checkin_id or tracker.active_loop_name:
            logger.info("Check-in not started: no id, or another form is running.")
            return []
        repo = default_repository()
        try:
            checkin = repo.checkins.get(str(checkin_id), tracker.sender_id)
            reflection = (
                repo.get(tracker.sender_id, checkin.reflection_id) if checkin is not None else None
            )
            if checkin is None or reflection is None:
                logger.warning("Check-in %s: not this sender's, or no reflection.", checkin_id)
                return []
            if not repo.checkins.mark_sent(checkin.id, tracker.sender_id, repository.now()):
                logger.info("Check-in %s is not claimed (sent already?).", checkin.id)
                return []
        except (StoreUnavailable, SQLAlchemyError) as error:
            logger.warning("Check-in %s: store unavailable (%s).", checkin_id, type(error).__name__)
            return []  # still claimed: the scheduler retries
        return [
            SlotSet("checkin_id", checkin.id),
            SlotSet("checkin_noticed", noticed_words(reflection, domain)),
            SlotSet("checkin_outcome", None),
            FollowupAction(CHECKIN_FORM),
        ]


#: The response that answers each outcome.
ANSWERS = {
    PASSED: "utter_checkin_passed",
    ACTED: "utter_checkin_acted",
    TALK: "utter_checkin_talk",
}


class ActionLogCheckin(Action):
    """Logs the check-in's answer on the reflection and answers it."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_log_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Store the outcome (a button's key, or the typed words, encrypted)."""
        safety_first(tracker, dispatcher)  # typed words that scored near crisis: help first
        outcome, words = outcome_of(tracker.get_slot("checkin_outcome"))
        reset: List[EventType] = [
            SlotSet("checkin_id", None),
            SlotSet("checkin_noticed", None),
            SlotSet("checkin_outcome", None),
        ]
        repo = default_repository()
        try:
            checkin = repo.checkins.get(tracker.get_slot("checkin_id") or "", tracker.sender_id)
            if checkin is None:
                return reset
            now = repository.now()
            repo.log_outcome(tracker.sender_id, checkin.reflection_id, outcome, words, now)
            repo.checkins.mark_answered(checkin.id, tracker.sender_id, now)
        except (StoreUnavailable, SQLAlchemyError):
            dispatcher.utter_message(response="utter_store_unavailable")
            return reset
        dispatcher.utter_message(response=ANSWERS.get(outcome, "utter_checkin_noted"))
        return reset


class ActionStopCheckins(Action):
    """"Stop check-ins": cancels every pending one and offers none until turned back on."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_stop_checkins"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Cancel the pending check-ins; leave the check-in question if it is open."""
        try:
            count = default_repository().checkins.cancel_for_user(
                tracker.sender_id, repository.now()
            )
        except (StoreUnavailable, SQLAlchemyError):
            dispatcher.utter_message(response="utter_store_unavailable")
            return []
        dispatcher.utter_message(response="utter_checkins_stopped", cancelled_count=count)
        events: List[EventType] = [SlotSet(OFF, True), SlotSet(OFFERED, None)]
        if tracker.active_loop_name == CHECKIN_FORM:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events


class ActionResumeCheckins(Action):
    """"Check in with me again": cancelled check-ins wait again, and offers come back."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_resume_checkins"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Turn the cancelled check-ins back to pending."""
        try:
            count = default_repository().checkins.resume_for_user(
                tracker.sender_id, repository.now()
            )
        except (StoreUnavailable, SQLAlchemyError):
            dispatcher.utter_message(response="utter_store_unavailable")
            return []
        dispatcher.utter_message(response="utter_checkins_resumed", resumed_count=count)
        return [SlotSet(OFF, False)]
