"""The soft crisis layer as a Rasa component (``pause.safety_check`` decides).

Runs last, after the SafetyNet, and never changes the intent: a message that no layer made
crisis, but that scored near it, gets ``pause_safety_check`` in its parse output, and the
actions open their reply with where to find help.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.crisis_reader import READER_SCORE_KEY
from components.inference_only import InferenceOnlyComponent
from pause.safety_check import (
    DEFAULT_THRESHOLDS,
    SAFETY_CHECK_KEY,
    SafetyCheckThresholds,
    safety_check_reasons,
)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SafetyCheck(InferenceOnlyComponent):
    """Marks the messages whose reply should open with the help line."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The crisis reader score and the crisis confidence at which the line comes first."""
        return {"reader_threshold": DEFAULT_THRESHOLDS.reader,
                "confidence_threshold": DEFAULT_THRESHOLDS.confidence}

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self._thresholds = SafetyCheckThresholds(
            reader=float(config["reader_threshold"]),
            confidence=float(config["confidence_threshold"]))

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the reasons to every message that should get the help line first."""
        for message in messages:
            if (message.get(TEXT) or "").startswith("/"):
                continue  # a button: the person chose, nothing to read
            reasons = safety_check_reasons(
                (message.get(INTENT) or {}).get(INTENT_NAME_KEY),
                message.get(INTENT_RANKING_KEY) or [],
                message.get(READER_SCORE_KEY),
                self._thresholds)
            if reasons:
                message.set(SAFETY_CHECK_KEY, reasons, add_to_output=True)
        return messages
