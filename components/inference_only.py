"""The base of the NLU components that learn nothing.

Created from their config, the training data passed through unchanged, all their work in
``process``: the SafetyNet, the SafetyCheck and the MixedMessageResolver.
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData


class InferenceOnlyComponent(GraphComponent):
    """A component with nothing to train; subclasses read their config in ``__init__``."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Keeps the config (subclasses read what they need from it)."""
        self._config = config

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> InferenceOnlyComponent:
        """Creates the component from its config; there is nothing to train."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Returns the training data unchanged."""
        return training_data
