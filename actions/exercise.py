"""The pause-before-the-exit exercise: starting, stopping, resuming and saving it."""

import logging
from typing import List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checkins import offer
from actions.steps import misread_answer
from actions.vocabulary import SIGNAL_LABELS
from pause.repository import (
    FINISHED,
    UNFINISHED,
    Reflection,
    StoreUnavailable,
    default_repository,
    new_reflection_id,
)
from pause.steps import FORM_NAME, SLOTS

logger = logging.getLogger(__name__)

UNSAVED = "unsaved_reflections"
#: A described moment counts for the exercise if it was among the last few messages.
RECENT_MESSAGES = 3


def recent_signal(tracker: Tracker) -> Optional[str]:
    """Return the signal of a moment described in the last few messages, if any."""
    signal = tracker.get_slot("signal")
    if not signal or signal not in SIGNAL_LABELS:
        return None
    users = [e for e in tracker.events if e.get("event") == "user"][-RECENT_MESSAGES:]
    moments = [
        e
        for e in users
        if (e.get("parse_data") or {}).get("intent", {}).get("name") == "share_experience"
    ]
    return signal if moments else None


def reflection_from_slots(tracker: Tracker, status: str) -> Reflection:
    """Build the reflection that the form's slots describe."""
    reflection_id = tracker.get_slot("reflection_id") or new_reflection_id()
    return Reflection(
        id=reflection_id,
        user_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        status=status,
        signal=tracker.get_slot("signal") if tracker.get_slot("signal") in SIGNAL_LABELS else None,
        answers={step: tracker.get_slot(slot) for step, slot in SLOTS.items()},
    )


def has_progress(tracker: Tracker) -> bool:
    """Whether any step of the exercise has been answered."""
    return any(tracker.get_slot(slot) for slot in SLOTS.values())


def reset_events() -> List[EventType]:
    """Events that clear the exercise for the next one."""
    return [SlotSet(slot, None) for slot in SLOTS.values()] + [
        SlotSet("reflection_id", None),
        SlotSet("signal_label", None),
    ]


def unsaved_reflections(tracker: Tracker) -> List[Reflection]:
    """Reflections that could not be stored yet, kept in the conversation."""
    return [Reflection.from_dict(item) for item in tracker.get_slot(UNSAVED) or []]


def save_all(reflections: List[Reflection]) -> Tuple[bool, List[EventType]]:
    """Store ``reflections`` in order; keep whatever could not be stored.

    Returns:
        Whether all were stored, and the event that sets ``unsaved_reflections`` to
        what is still left for a retry.

    """
    remaining = list(reflections)
    try:
        while remaining:
            default_repository().save(remaining[0])
            remaining.pop(0)
    except StoreUnavailable:
        logger.warning("Reflection store unavailable; %d kept for a retry.", len(remaining))
        return False, [SlotSet(UNSAVED, [r.to_dict() for r in remaining])]
    return True, [SlotSet(UNSAVED, None)]


def keep_progress(tracker: Tracker) -> Tuple[bool, List[EventType]]:
    """Store the exercise so far as unfinished (and anything still unsaved).

    Returns:
        Whether it was stored, and the events to apply (the reflection id, and what
        is left in ``unsaved_reflections`` for a later retry).

    """
    reflection = reflection_from_slots(tracker, UNFINISHED)
    pending = [r for r in unsaved_reflections(tracker) if r.id != reflection.id]
    events: List[EventType] = [SlotSet("reflection_id", reflection.id)]
    saved, save_events = save_all(pending + [reflection])
    return saved, events + save_events


class ActionStartExercise(Action):
    """Starts a fresh exercise, pre-filling step 1 from a moment just described."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_start_exercise"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Reset the steps, give the exercise an id and introduce it."""
        signal = recent_signal(tracker)
        dispatcher.utter_message(response="utter_exercise_intro")
        return reset_events()[:-2] + [
            SlotSet("reflection_id", new_reflection_id()),
            SlotSet("signal_label", SIGNAL_LABELS[signal] if signal else None),
        ]


class ActionStopExercise(Action):
    """Stops the exercise on "stop" / "not now", keeping what was answered."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_stop_exercise"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Store progress as unfinished and leave the form."""
        misread = misread_answer(tracker, dispatcher)
        if misread is not None:
            return misread
        if tracker.active_loop_name != FORM_NAME:
            dispatcher.utter_message(response="utter_exercise_declined")
            return []
        saved, events = keep_progress(tracker)
        dispatcher.utter_message(
            response="utter_exercise_stopped" if saved else "utter_exercise_stopped_not_saved"
        )
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + events


class ActionResumeExercise(Action):
    """Continues a stopped exercise at the step where it stopped."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_resume_exercise"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Restore the answers (from the conversation or the store); the form follows."""
        misread = misread_answer(tracker, dispatcher)
        if misread is not None:
            return misread
        if has_progress(tracker):
            dispatcher.utter_message(response="utter_resuming")
            return []
        try:
            stored = default_repository().latest_unfinished(tracker.sender_id)
        except StoreUnavailable:
            stored = None
        if stored is None:
            dispatcher.utter_message(response="utter_nothing_to_resume")
            return await ActionStartExercise().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_resuming")
        return [SlotSet("reflection_id", stored.id)] + [
            SlotSet(slot, stored.answer(step)) for step, slot in SLOTS.items()
        ]


class ActionSaveReflection(Action):
    """Saves the finished exercise and shows it back in the person's words."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_save_reflection"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Save the finished reflection (and any earlier unsaved one)."""
        events: List[EventType] = []
        pending = unsaved_reflections(tracker)
        current: Optional[Reflection] = None
        if has_progress(tracker):
            current = reflection_from_slots(tracker, FINISHED)
            pending = [r for r in pending if r.id != current.id] + [current]
            dispatcher.utter_message(response="utter_reflection_summary")
            events += reset_events() + [SlotSet("signal", None)]
        if not pending:
            return events
        saved, save_events = save_all(pending)
        if not saved:  # the rules offer a retry after this response
            return events + save_events + [FollowupAction("utter_reflection_not_saved")]
        dispatcher.utter_message(response="utter_reflection_saved")
        if current is not None:
            events += offer(dispatcher, tracker, current)
        return events + save_events
