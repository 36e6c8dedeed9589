"""The exercise's seven steps: their slots and how an answer is validated.

An answer is trimmed and capped; "skip" is accepted on optional steps only; a message
that the classifier read as a command but has none of its words stays the answer.
"""

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.config import load_settings
from actions.repository import STEPS
from actions.vocabulary import normalize_verdict

FORM_NAME = "pause_form"
SLOTS = {step: f"pause_{step}" for step in STEPS}
OPTIONAL_STEPS = frozenset({"step"})
SKIPPED = "skipped"
CONFIRMED = "confirmed"

#: Words without which a message inside the exercise is an answer, not that command.
COMMAND_WORDS = {
    "stop_exercise": re.compile(
        r"\b(stop|quit|cancel|pause|later|enough|exit|leave|done|finish|end|break|"
        r"not (right )?now|no more|another time|tomorrow)\b",
        re.I,
    ),
    "resume_exercise": re.compile(
        r"\b(resume|continue|pick (it )?up|left off|carry on|" r"keep going|go on|back to)\b", re.I
    ),
    "show_reflections": re.compile(
        r"\b(reflections?|entr(y|ies)|wrote|written|journal|" r"history|past|show|list)\b", re.I
    ),
    "show_map": re.compile(r"\b(map|patterns?|trends?|overview|so far|overall|summary)\b", re.I),
    "export_reflections": re.compile(r"\b(export|download|send|copy|file|save)\b", re.I),
    "delete_reflections": re.compile(r"\b(delete|forget|erase|wipe|remove|clear)\b", re.I),
    "faq": re.compile(
        r"\?|^\s*(what|why|how|is|are|am|do|does|did|can|could|should|"
        r"would|will|when|where|who|tell me|explain)\b",
        re.I,
    ),
}


def clean_answer(text: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[str]:
    """Return the trimmed answer, or None after kindly asking again.

    Args:
        text: The slot candidate (free text or a tapped choice).
        dispatcher: Used to re-ask when the answer is empty or too long.
        tracker: The conversation (unused today; keeps one signature for validators).

    """
    answer = str(text or "").strip()
    limit = load_settings().max_answer_chars
    if not answer:
        dispatcher.utter_message(response="utter_answer_empty")
        return None
    if len(answer) > limit:
        dispatcher.utter_message(response="utter_answer_too_long", max_chars=limit)
        return None
    return answer


def validate_step(
    step: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> Dict[Text, Any]:
    """Validate one step's answer: trim, cap the length, handle skip and confirm.

    Returns:
        ``{slot: value}``; the value is None (after a kind re-ask) when it can't be kept.
    """
    slot = SLOTS[step]
    if value == SKIPPED:
        if step in OPTIONAL_STEPS:
            return {slot: SKIPPED}
        dispatcher.utter_message(response="utter_step_not_skippable")
        return {slot: None}
    if value == CONFIRMED:
        label = tracker.get_slot("signal_label")
        value = label or (tracker.latest_message or {}).get("text")
    answer = clean_answer(value, dispatcher, tracker)
    if answer is not None and step == "verdict":
        answer = normalize_verdict(answer)
    return {slot: answer}


def misread_answer(tracker: Tracker, dispatcher: CollectingDispatcher) -> Optional[List[EventType]]:
    """Take a message as the current step's answer when it only looks like a command.

    Inside the exercise, "stop", "my map", a question and so on interrupt the step.
    A free-text answer that the classifier mistook for one of those ("a day" read as
    stop) has none of the command's words; it is kept as the answer instead.

    Returns:
        The events that store the answer and continue the form, or None when the
        message really is the command (or no exercise is running).
    """
    requested = tracker.get_slot("requested_slot")
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    intent = (message.get("intent") or {}).get("name")
    words = COMMAND_WORDS.get(str(intent))
    if tracker.active_loop_name != FORM_NAME or requested not in SLOTS.values():
        return None
    if words is None or text.startswith("/") or words.search(text):
        return None
    validated = validate_step(str(requested).replace("pause_", ""), text, dispatcher, tracker)
    return [SlotSet(k, v) for k, v in validated.items()] + [FollowupAction(FORM_NAME)]


class ValidatePauseForm(FormValidationAction):
    """Validates each step: trims, caps the length, handles skip and confirm."""

    def name(self) -> Text:
        """Return the action's name."""
        return "validate_pause_form"

    def validate_pause_noticed(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Step 1: what did you notice?"""
        return validate_step("noticed", slot_value, dispatcher, tracker)

    def validate_pause_before(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Step 2: what happened just before?"""
        return validate_step("before", slot_value, dispatcher, tracker)

    def validate_pause_body(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Step 3: what is your body doing?"""
        return validate_step("body", slot_value, dispatcher, tracker)

    def validate_pause_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Step 4: what reason is the mind giving?"""
        return validate_step("reason", slot_value, dispatcher, tracker)

    def validate_pause_verdict(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Step 5: real signal or protection?"""
        return validate_step("verdict", slot_value, dispatcher, tracker)

    def validate_pause_wait(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Step 6: how long can you wait?"""
        return validate_step("wait", slot_value, dispatcher, tracker)

    def validate_pause_step(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        """Step 7 (optional): one small step."""
        return validate_step("step", slot_value, dispatcher, tracker)
