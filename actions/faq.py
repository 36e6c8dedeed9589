"""Answers to questions: FAQ topics, follow-ups, and suggestions when unsure."""

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.safety_check import safety_first
from actions.steps import misread_answer
from actions.topics import FOLLOW_UPS, MOMENT_FOLLOW_UP, button_titles, faq_payload
from actions.vocabulary import SIGNAL_LABELS
from pause.responses import response_text
from pause.steps import FORM_NAME

#: Below this ResponseSelector confidence the assistant suggests topics instead of guessing.
RETRIEVAL_CONFIDENCE_THRESHOLD = 0.35
SUGGESTIONS = 3
EXERCISE_PAYLOAD = "/start_exercise"
SIGNALS = set(SIGNAL_LABELS)
#: Set by the SentenceAnalyser on a described moment that also asks something.
QUESTION_KEY = "pause_question"


def faq_prediction(tracker: Tracker) -> Tuple[Optional[str], float]:
    """Return the FAQ topic of the latest message and the selector's confidence.

    A button (``/faq{"topic": ...}``) gives its topic with full confidence.
    """
    message = tracker.latest_message or {}
    for entity in message.get("entities") or []:
        if entity.get("entity") == "topic" and entity.get("value") in FOLLOW_UPS:
            return str(entity["value"]), 1.0
    selector = (message.get("response_selector") or {}).get("faq") or {}
    response = selector.get("response") or {}
    key = str(response.get("intent_response_key") or "")
    topic = key.split("/", 1)[1] if key.startswith("faq/") else None
    return (topic if topic in FOLLOW_UPS else None), float(response.get("confidence") or 0.0)


def ranked_topics(tracker: Tracker) -> List[str]:
    """Return the FAQ topics of the latest message, most likely first."""
    message = tracker.latest_message or {}
    selector = (message.get("response_selector") or {}).get("faq") or {}
    topics = []
    for entry in selector.get("ranking") or []:
        key = str(entry.get("intent_response_key") or "")
        topic = key.split("/", 1)[1] if "/" in key else ""
        if topic in FOLLOW_UPS and topic not in topics:
            topics.append(topic)
    return topics


def suggestion_buttons(
    tracker: Tracker, domain: DomainDict, limit: int = SUGGESTIONS
) -> List[Dict[str, Any]]:
    """Buttons for the closest topics and intents of the latest message."""
    titles = button_titles(domain)
    message = tracker.latest_message or {}
    candidates: List[str] = []
    for entry in message.get("intent_ranking") or []:
        name = entry.get("name")
        if name == "faq":
            candidates.extend(faq_payload(topic) for topic in ranked_topics(tracker)[:limit])
        elif name and name != "nlu_fallback":
            candidates.append(f"/{name}")
    buttons: List[Dict[str, Any]] = []
    for payload in candidates:
        if payload in titles and all(b["payload"] != payload for b in buttons):
            buttons.append({"title": titles[payload], "payload": payload})
        if len(buttons) == limit:
            break
    return buttons


def suggest(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
    """Offer the closest topics, the exercise, and a way out ("something else")."""
    buttons = suggestion_buttons(tracker, domain)
    exercise = button_titles(domain).get(EXERCISE_PAYLOAD)
    if exercise and all(b["payload"] != EXERCISE_PAYLOAD for b in buttons):
        buttons.append({"title": exercise, "payload": EXERCISE_PAYLOAD})
    buttons.append(
        {"title": response_text(domain, "utter_something_else"), "payload": "/out_of_scope"}
    )
    dispatcher.utter_message(response="utter_suggest_topics", buttons=buttons)


def described_moment(tracker: Tracker) -> Optional[str]:
    """The signal of a moment told inside a question (``pause_moment``), or None.

    components/sentence_analyser.py marks the sentence; the SignalExtractor names its signal
    when its patterns know it ("unspecified" otherwise).
    """
    message = tracker.latest_message or {}
    if not message.get("pause_moment"):
        return None
    for entity in message.get("entities") or []:
        if entity.get("entity") == "signal" and entity.get("value") in SIGNALS:
            return str(entity["value"])
    return "unspecified"


class ActionAnswerFaq(Action):
    """Answers a question with the ``utter_faq/<topic>`` response."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Answer the topic, or suggest topics when the selector is unsure."""
        misread = misread_answer(tracker, dispatcher)
        if misread is not None:  # mid-exercise, a statement that only sounds like a topic
            return misread
        safety_first(tracker, dispatcher)
        topic, confidence = faq_prediction(tracker)
        # Mid-exercise the question is answered and the step asked again: no second offer.
        signal = described_moment(tracker) if tracker.active_loop_name != FORM_NAME else None
        events: List[EventType] = []
        if signal is not None:  # a story that tells a moment and asks a question: both
            dispatcher.utter_message(response=f"utter_signal_{signal}")
            events.append(SlotSet("signal", signal))
        if topic is None or confidence < RETRIEVAL_CONFIDENCE_THRESHOLD:
            suggest(dispatcher, tracker, domain)
        else:
            dispatcher.utter_message(response=f"utter_faq/{topic}")
            events.insert(0, SlotSet("last_topic", topic))
        if signal is not None:
            dispatcher.utter_message(response="utter_offer_exercise")
        return events


class ActionOfferAnswer(Action):
    """After a described moment that also asks something, offers the answer to the question.

    The SentenceAnalyser marks the question (``pause_question``); the ResponseSelector has
    ranked the topics for the whole message anyway. Sends nothing when there is no question
    or no topic it is sure enough of, so the moment rules can always run it.
    """

    def name(self) -> Text:
        """Return the action's name."""
        return "action_offer_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Offer the closest topic as a button, or stay silent."""
        if not (tracker.latest_message or {}).get(QUESTION_KEY):
            return []
        topic, confidence = faq_prediction(tracker)
        if topic is None or confidence < RETRIEVAL_CONFIDENCE_THRESHOLD:
            return []
        payload = faq_payload(topic)
        title = button_titles(domain).get(payload)
        if title is None:
            return []
        dispatcher.utter_message(response="utter_offer_answer",
                                 buttons=[{"title": title, "payload": payload}])
        return []


class ActionFollowUp(Action):
    """Answers "tell me more" and "why?" from the topic last talked about."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Answer the neighbouring topic of the last one, or ask where to go."""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        kind = "why" if intent == "ask_why" else "more"
        last = tracker.get_slot("last_topic")
        if _last_bot_response(tracker).startswith(("utter_signal_", "utter_offer_exercise")):
            topic: Optional[str] = MOMENT_FOLLOW_UP
        else:
            topic = FOLLOW_UPS.get(last or "", {}).get(kind)
        if topic is None:
            dispatcher.utter_message(response="utter_no_follow_up")
            return []
        dispatcher.utter_message(response=f"utter_faq/{topic}")
        return [SlotSet("last_topic", topic)]


def _last_bot_response(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return str((event.get("metadata") or {}).get("utter_action") or "")
    return ""
