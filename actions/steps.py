"""How an answer to one of the exercise's steps is validated (the table: pause/steps.py).

An answer is trimmed and capped; "skip" is accepted on optional steps only; a message
that the classifier read as a command but has none of its words stays the answer.
"""

import re
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.safety_check import safety_first
from actions.vocabulary import normalize_verdict
from pause.settings import load_settings
from pause.steps import CONFIRMED, FORM_NAME, OPTIONAL_STEPS, SKIPPED, SLOTS

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
    if value is None:
        # Not an answer: a slot reset (``action_start_exercise`` clears every step) that
        # rasa_sdk hands to the validator like any other recently set slot.
        return {slot: None}
    if value == (tracker.latest_message or {}).get("text"):  # this message is the answer
        safety_first(tracker, dispatcher)  # and it scored near crisis: the help line first
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


def _step_validator(step: str) -> Callable[..., Dict[Text, Any]]:
    """Build the ``validate_pause_<step>`` method that rasa_sdk looks up by name."""

    def validate(
        self: FormValidationAction,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        return validate_step(step, slot_value, dispatcher, tracker)

    validate.__name__ = f"validate_{SLOTS[step]}"
    validate.__doc__ = f"Validate the answer to step '{step}' of the exercise."
    return validate


class ValidatePauseForm(FormValidationAction):
    """Validates each step: trims, caps the length, handles skip and confirm."""

    def name(self) -> Text:
        """Return the action's name."""
        return "validate_pause_form"

    validate_pause_noticed = _step_validator("noticed")  # 1 catch it
    validate_pause_before = _step_validator("before")  # 2 just before
    validate_pause_body = _step_validator("body")  # 3 the body
    validate_pause_reason = _step_validator("reason")  # 4 the mind's reason
    validate_pause_verdict = _step_validator("verdict")  # 5 signal or protection
    validate_pause_wait = _step_validator("wait")  # 6 slow the exit
    validate_pause_step = _step_validator("step")  # 7 one small step (optional)
