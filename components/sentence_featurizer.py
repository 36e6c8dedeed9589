"""Dense features from a pretrained sentence encoder, all-MiniLM-L6-v2.

They feed DIET and the ResponseSelector, beside the sparse count features.

A message is read sentence by sentence (``pause.sentences``): each sentence goes through the
encoder on its own, in one batch. That gives
- one vector per Rasa token: the mean of the word pieces that overlap it;
- the message's sentence feature: the mean of all word pieces, scaled to unit length;
- for the components after this one, the unit vector of every sentence and its span
  (``SENTENCES_KEY``), so that a crisis or a moment anywhere in a long story is seen.
Reading sentences separately keeps a long message inside the encoder's 256-piece window and
costs less than one long pass. The weights load from disk once per process.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from pause.encoder import DIMENSIONS, Encoded, shared_encoder
from pause.sentences import split_sentences

SENTENCES_KEY = "pause_sentences"  # [(start, end, unit vector)], not part of the parse output


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class SentenceFeaturizer(DenseFeaturizer, GraphComponent):  # type: ignore[misc, unused-ignore]
    """all-MiniLM-L6-v2 token and sentence features, computed sentence by sentence."""

    @classmethod
    def required_components(cls) -> List[type]:
        """Tokens must exist: each gets a vector."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """How many messages go through the encoder at once."""
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The encoder's code: a change to how vectors are computed retrains what reads them."""
        import pause.encoder
        import pause.encoder_graph

        sources = (Path(module.__file__ or "").read_bytes()
                   for module in (pause.encoder, pause.encoder_graph))
        return hashlib.sha256(b"".join(sources)).hexdigest()

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to check: the encoder has no options that can clash."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceFeaturizer:
        """Creates the featurizer; the encoder loads once per process."""
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._encoder = shared_encoder()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Adds the features to every training example."""
        batch = self._config["batch_size"]
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        for start in range(0, len(examples), batch):
            self._featurize(examples[start : start + batch], keep_sentences=False)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the features, and keeps each sentence's vector for later components."""
        self._featurize([m for m in messages if m.get(TEXT)], keep_sentences=True)
        return messages

    def _featurize(self, messages: List[Message], keep_sentences: bool) -> None:
        spans = [split_sentences(m.get(TEXT)) for m in messages]
        texts = [
            m.get(TEXT)[a:b] for m, found in zip(messages, spans, strict=True) for a, b in found
        ]
        encoded = iter(self._encoder.encode(texts))
        for message, found in zip(messages, spans, strict=True):
            parts = [(a, b, next(encoded)) for a, b in found]
            sequence, sentence = _features(message, parts)
            self.add_features_to_message(sequence, sentence, TEXT, message)
            if keep_sentences:
                message.set(SENTENCES_KEY, [(a, b, item.sentence) for a, b, item in parts])


def _features(
    message: Message, parts: List[Tuple[int, int, Encoded]]
) -> Tuple[np.ndarray, np.ndarray]:
    """(tokens, 384) token vectors and the (1, 384) message vector."""
    pieces: List[np.ndarray] = [item.pieces for _, _, item in parts if len(item.pieces)]
    spans: List[Tuple[int, int]] = [
        (start + a, start + b) for start, _, item in parts for a, b in item.spans
    ]
    matrix = np.concatenate(pieces) if pieces else np.zeros((0, DIMENSIONS), np.float32)
    mean = matrix.mean(0) if len(matrix) else np.zeros(DIMENSIONS, np.float32)
    unit = mean / max(float(np.linalg.norm(mean)), 1e-12)
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    rows: List[np.ndarray] = []
    cursor = 0
    for token in tokens:
        while cursor < len(spans) and spans[cursor][1] <= token.start:
            cursor += 1
        hits: List[int] = []
        index: Optional[int] = cursor
        while index is not None and index < len(spans) and spans[index][0] < token.end:
            hits.append(index)
            index += 1
        rows.append(matrix[hits].mean(0) if hits else unit)
    sequence = np.stack(rows) if rows else np.zeros((0, DIMENSIONS), np.float32)
    return sequence.astype(np.float32), unit[None, :].astype(np.float32)
