"""Reads a moment-and-question tie as both (``pause.mixed_message`` decides).

Runs right after the FallbackClassifier and before the SignalExtractor: a message the fallback
took with ``share_experience`` and ``faq`` ranked first and second, and a topic the
ResponseSelector is sure of, becomes ``faq`` with its moment marked (``pause_moment``), so
the answer reflects the moment too. Every other message is left as it was.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from components.inference_only import InferenceOnlyComponent
from components.sentence_analyser import MOMENT_KEY, QUESTION_KEY
from pause.mixed_message import (
    FALLBACK_INTENT,
    QUESTION_INTENT,
    TOPIC_CONFIDENCE,
    moment_span,
    reads_as_both,
)

SELECTOR_KEY = "response_selector"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class MixedMessageResolver(InferenceOnlyComponent):
    """Turns a fallback between a moment and a question into the question with its moment."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The ResponseSelector's confidence at which the topic is taken."""
        return {"topic_confidence": TOPIC_CONFIDENCE}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._threshold = float({**self.get_default_config(), **config}["topic_confidence"])

    def process(self, messages: List[Message]) -> List[Message]:
        """Reads each tie with a sure topic as the question with its moment."""
        for message in messages:
            selector = ((message.get(SELECTOR_KEY) or {}).get(QUESTION_INTENT) or {})
            confidence = float((selector.get("response") or {}).get("confidence") or 0.0)
            ranking = message.get(INTENT_RANKING_KEY) or []
            if not reads_as_both((message.get(INTENT) or {}).get(INTENT_NAME_KEY), ranking,
                                 confidence, self._threshold):
                continue
            text = message.get(TEXT) or ""
            others = [entry for entry in ranking if entry.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
            question = next(e for e in others if e.get(INTENT_NAME_KEY) == QUESTION_INTENT)
            message.set(INTENT, {INTENT_NAME_KEY: QUESTION_INTENT,
                                 PREDICTED_CONFIDENCE_KEY: question.get(PREDICTED_CONFIDENCE_KEY)},
                        add_to_output=True)
            message.set(INTENT_RANKING_KEY, others, add_to_output=True)
            start, end = moment_span(text, message.get(QUESTION_KEY))
            message.data.pop(QUESTION_KEY, None)
            message.set(MOMENT_KEY, {"start": start, "end": end}, add_to_output=True)
        return messages
