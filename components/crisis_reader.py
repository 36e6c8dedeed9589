"""The crisis reader as a Rasa component (``pause.crisis_reader`` has the network).

Runs after the SentenceAnalyser and before the FallbackClassifier. A message that the reader
scores as crisis (any sentence of it) becomes crisis, with "reader"
among its ``crisis_layers``, whatever the other classifiers said.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import pause.crisis_reader as reader_module
from components.model_files import read_arrays, write_arrays
from components.safety_net import CRISIS_INTENT, force_intent
from components.sentence_analyser import CRISIS_MARKER_KEY, MOMENT_KEY, QUESTION_KEY
from components.sentence_featurizer import (
    SENTENCES_KEY,
    Readings,
    SentenceFeaturizer,
    message_vectors,
    read_texts,
)
from pause.crisis_bank import CRISIS_FILE, bank_lines
from pause.crisis_reader import CrisisReader, Example, features, read_examples, training_rows

WEIGHTS_FILE = "crisis_reader.npz"
LAYER = "reader"
#: The highest sentence score, for the soft layer after it (components/safety_check.py).
READER_SCORE_KEY = "crisis_reader_score"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class CrisisReaderComponent(GraphComponent):
    """Makes a message crisis when the crisis reader scores a sentence of it high."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The featurizer it reads, the decision threshold and the network's settings."""
        return {
            "featurizer": "minilm",  # alias of the SentenceFeaturizer whose vectors it reads
            "threshold": 0.9,
            "hidden": 256,
            "regularisation": 0.1,
            "random_seed": 2024,
        }

    @classmethod
    def required_components(cls) -> List[type]:
        """The encoder must run first."""
        return [SentenceFeaturizer]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The examples, the bank and the network's code are read at training time."""
        digest = hashlib.sha256()
        for path in (reader_module.EXAMPLES_FILE, CRISIS_FILE):
            digest.update(path.read_bytes())
        digest.update(Path(reader_module.__file__ or "").read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, reader: Optional[CrisisReader] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self._reader = reader

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CrisisReaderComponent:
        """Creates an untrained reader."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CrisisReaderComponent:
        """The reader ``train`` stored (none if there was nothing to train on)."""
        weights = read_arrays(model_storage, resource, WEIGHTS_FILE)
        return cls(config, model_storage, resource,
                   CrisisReader.from_arrays(weights) if weights else None)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the network on the training data, the bank and the examples file."""
        examples: List[Example] = []
        readings: Optional[Readings] = None
        for message in training_data.intent_examples:
            rows = self._rows(message)
            readings = message.get(SENTENCES_KEY) or readings
            if rows is not None and message.get(INTENT):
                examples.append(Example(rows[0], rows[1:], message.get(SENTENCES_KEY).frozen,
                                        message.get(INTENT) == CRISIS_INTENT))
        if readings is None or not any(e.crisis for e in examples):
            return self._resource
        stories, near_misses = read_examples(reader_module.EXAMPLES_FILE)
        for texts, is_crisis in ((stories, True), (near_misses, False)):
            for read, vectors in read_texts(readings.encoder, texts):
                examples.append(Example(features(vectors[1], vectors[0])[0],
                                        features(read.frozen, read.sentences), read.frozen,
                                        is_crisis))
        lines = readings.encoder.encode(bank_lines(CRISIS_FILE))
        frozen = np.stack([line.frozen for line in lines])
        crisis, safe = training_rows(
            examples, features(frozen, np.stack([line.sentence for line in lines])), frozen)
        self._reader = CrisisReader.fit(
            crisis, safe, hidden=int(self._config["hidden"]),
            regularisation=float(self._config["regularisation"]),
            seed=int(self._config["random_seed"]))
        write_arrays(self._storage, self._resource, WEIGHTS_FILE, self._reader.arrays())
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Returns the training data unchanged."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Marks the messages the reader reads as crisis."""
        if self._reader is None:
            return messages
        for message in messages:
            if (message.get(TEXT) or "").startswith("/"):
                continue
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == CRISIS_INTENT and \
                    message.get(CRISIS_MARKER_KEY):
                continue  # another layer has decided already
            readings: Optional[Readings] = message.get(SENTENCES_KEY)
            if readings is None or not len(readings.spans):
                continue
            score = float(self._reader.scores(features(readings.frozen, readings.sentences)).max())
            message.set(READER_SCORE_KEY, score)
            if score < float(self._config["threshold"]):
                continue
            force_intent(message, CRISIS_INTENT)
            for key in (MOMENT_KEY, QUESTION_KEY):
                message.data.pop(key, None)
            message.set(CRISIS_MARKER_KEY, [*(message.get(CRISIS_MARKER_KEY) or []), LAYER],
                        add_to_output=True)
        return messages

    def _rows(self, message: Message) -> Optional[np.ndarray]:
        """The message's features then each sentence's (training), or None before the encoder."""
        readings: Optional[Readings] = message.get(SENTENCES_KEY)
        vectors = message_vectors(message, self._config["featurizer"])
        if readings is None or vectors is None:
            return None
        tuned, frozen = vectors
        return np.vstack([features(frozen, tuned), features(readings.frozen, readings.sentences)])
