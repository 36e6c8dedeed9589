"""Dense features from a sentence encoder, all-MiniLM-L6-v2 with its top layers fine-tuned.

They feed DIET and the ResponseSelector, beside the sparse count features.

Training fine-tunes the encoder's top ``tune_layers`` layers on the training data
(``pause.encoder_tuning``) and stores them in the model; ``tune_layers: 0`` keeps the
pretrained encoder. Both tops run on the same bottom layers, and each message gets two sets of
features: the fine-tuned ones under the featurizer's name (``minilm``) and the pretrained ones
under ``<name>_pretrained``. config.yml says which a classifier reads (``featurizers``): the
crisis decisions stay on the pretrained vectors their thresholds were set on.

A message is read sentence by sentence (``pause.sentences``): each sentence goes through the
encoder on its own, in one batch. That gives
- one vector per Rasa token: the mean of the word pieces that overlap it;
- the message's sentence feature: the mean of all word pieces, scaled to unit length;
- for the components after this one, ``Readings`` (``SENTENCES_KEY``): every sentence's span
  and unit vectors, fine-tuned and pretrained, so that a crisis or a moment anywhere in a long
  story is seen.
Reading sentences separately keeps a long message inside the encoder's 256-piece window and
costs less than one long pass. The weights load from disk once per process.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
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
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    INTENT_RESPONSE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.model_files import read_arrays, write_arrays
from pause.encoder import DIMENSIONS, Encoded, SentenceEncoder, shared_encoder, tuned_encoder
from pause.encoder_tuning import Settings
from pause.sentences import split_sentences

SENTENCES_KEY = "pause_sentences"  # Readings, not part of the parse output
WEIGHTS_FILE = "tuned_layers.npz"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readings:
    """What the encoder read in one message, for the components after the featurizer."""

    spans: List[Tuple[int, int]]  # each sentence's characters
    sentences: np.ndarray  # (sentences, 384) unit vectors, fine-tuned: what the features are
    frozen: np.ndarray  # (sentences, 384) the pretrained encoder's unit vectors
    encoder: SentenceEncoder = field(compare=False, repr=False)  # to read other texts alike

    def fingerprint(self) -> str:
        """Rasa fingerprints training messages' data; this is the vectors' hash."""
        digest = hashlib.sha256(repr(self.spans).encode())
        for array in (self.sentences, self.frozen):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SentenceFeaturizer(DenseFeaturizer, GraphComponent):  # type: ignore[misc, unused-ignore]
    """all-MiniLM-L6-v2 token and sentence features, computed sentence by sentence."""

    @classmethod
    def required_components(cls) -> List[type]:
        """Tokens must exist: each gets a vector."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """How many messages go through the encoder at once, and how much to fine-tune it."""
        settings = Settings()
        return {
            **DenseFeaturizer.get_default_config(),
            "batch_size": 64,
            "tune_layers": settings.layers,  # 0: the pretrained encoder, nothing trained
            "tune_epochs": settings.epochs,
            "tune_learning_rate": settings.learning_rate,
            "random_seed": settings.seed,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The encoder's code: a change to how vectors are computed retrains what reads them."""
        import pause.encoder
        import pause.encoder_graph
        import pause.encoder_tuning
        import pause.sentences

        sources = (Path(module.__file__ or "").read_bytes()
                   for module in (pause.encoder, pause.encoder_graph, pause.encoder_tuning,
                                  pause.sentences))
        return hashlib.sha256(b"".join(sources)).hexdigest()

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """The number of tuned layers must be one the model has."""
        if not 0 <= int(config.get("tune_layers", 0)) <= 6:
            raise ValueError("tune_layers must be between 0 and 6 (all-MiniLM-L6-v2's layers)")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceFeaturizer:
        """Creates an untrained featurizer: the pretrained encoder, shared by the process."""
        return cls(config, execution_context.node_name, model_storage, resource)

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage,
                 resource: Resource, encoder: Optional[SentenceEncoder] = None) -> None:
        super().__init__(name, config)
        self._storage, self._resource = model_storage, resource
        self._encoder = encoder or shared_encoder()

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tunes the encoder's top layers on the labelled examples and stores them."""
        import time

        from pause.encoder_tuning import tune

        layers = int(self._config["tune_layers"])
        pairs = [(m.get(TEXT), str(m.get(INTENT_RESPONSE_KEY) or m.get(INTENT)))
                 for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not layers or len({label for _, label in pairs}) < 2:
            return self._resource
        started = time.perf_counter()
        weights = tune([text for text, _ in pairs], [label for _, label in pairs], Settings(
            layers=layers, epochs=int(self._config["tune_epochs"]),
            learning_rate=float(self._config["tune_learning_rate"]),
            seed=int(self._config["random_seed"])))
        logger.info("Fine-tuned the encoder's top %d layers on %d examples in %.0f s.",
                    layers, len(pairs), time.perf_counter() - started)
        write_arrays(self._storage, self._resource, WEIGHTS_FILE, weights)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceFeaturizer:
        """The featurizer with the tuned layers ``train`` stored, or the pretrained encoder."""
        weights = read_arrays(model_storage, resource, WEIGHTS_FILE)  # none: tune_layers 0
        return cls(config, execution_context.node_name, model_storage, resource,
                   tuned_encoder(weights) if weights else None)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Adds the features and the readings to every training example."""
        batch = self._config["batch_size"]
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        for start in range(0, len(examples), batch):
            self._featurize(examples[start : start + batch])
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the features, and the readings for later components."""
        self._featurize([m for m in messages if m.get(TEXT)])
        return messages

    def _featurize(self, messages: List[Message]) -> None:
        for message, parts in zip(messages, _read(self._encoder, [m.get(TEXT) for m in messages]),
                                  strict=True):
            items = [item for _, _, item in parts if len(item.pieces)]
            hits = _token_pieces(message, parts)  # the same for both sets of features
            for origin, pieces in ((self._identifier, [item.pieces for item in items]),
                                   (pretrained_name(self._identifier),
                                    [item.frozen_pieces for item in items])):
                for kind, matrix in zip((FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE),
                                        _features(pieces, hits), strict=True):
                    message.add_features(Features(matrix, kind, TEXT, origin))
            message.set(SENTENCES_KEY, _readings(parts, self._encoder))


def read_texts(encoder: SentenceEncoder, texts: List[str]) -> List[Tuple[Readings, np.ndarray]]:
    """What the featurizer gives a message, for texts that are not Rasa messages.

    For each text, its ``Readings`` and its (2, 384) message vectors, fine-tuned then
    pretrained: the same as the sentence features (components that read extra examples, such
    as the crisis reader, see them as they see a message).
    """
    found: List[Tuple[Readings, np.ndarray]] = []
    for parts in _read(encoder, texts):
        items = [item for _, _, item in parts if len(item.pieces)]
        vectors = [_features([getattr(item, kind) for item in items], [])[1][0]
                   for kind in ("pieces", "frozen_pieces")]
        found.append((_readings(parts, encoder), np.stack(vectors)))
    return found


def _readings(parts: List[Tuple[int, int, Encoded]], encoder: SentenceEncoder) -> Readings:
    return Readings(
        spans=[(a, b) for a, b, _ in parts],
        sentences=_rows([item.sentence for _, _, item in parts]),
        frozen=_rows([item.frozen for _, _, item in parts]),
        encoder=encoder,
    )


def _read(encoder: SentenceEncoder, texts: List[str]) -> List[List[Tuple[int, int, Encoded]]]:
    """Each text's sentences (``pause.sentences``) with their spans, encoded in one batch."""
    spans = [split_sentences(text) for text in texts]
    encoded = iter(encoder.encode([text[a:b] for text, found in zip(texts, spans, strict=True)
                                   for a, b in found]))
    return [[(a, b, next(encoded)) for a, b in found] for found in spans]


def message_vectors(message: Message, name: str) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """The message's (384,) sentence features from featurizer ``name``: fine-tuned, pretrained.

    None before the featurizer ran.
    """
    found = []
    for origin in (name, pretrained_name(name)):
        _, sentence = message.get_dense_features(TEXT, [origin])
        if sentence is None:
            return None
        found.append(np.asarray(sentence.features, dtype=np.float32).reshape(-1))
    return found[0], found[1]


def pretrained_name(name: str) -> str:
    """The name the pretrained encoder's features carry, beside the featurizer's own."""
    return f"{name}_pretrained"


def _rows(vectors: List[np.ndarray]) -> np.ndarray:
    return np.stack(vectors) if vectors else np.zeros((0, DIMENSIONS), np.float32)


def _token_pieces(message: Message, parts: List[Tuple[int, int, Encoded]]) -> List[List[int]]:
    """For each Rasa token, the indices of the word pieces that overlap it."""
    spans: List[Tuple[int, int]] = [
        (start + a, start + b) for start, _, item in parts for a, b in item.spans
    ]
    found: List[List[int]] = []
    cursor = 0
    for token in message.get(TOKENS_NAMES[TEXT]) or []:
        while cursor < len(spans) and spans[cursor][1] <= token.start:
            cursor += 1
        end = cursor
        while end < len(spans) and spans[end][0] < token.end:
            end += 1
        found.append(list(range(cursor, end)))
    return found


def _features(pieces: List[np.ndarray], hits: List[List[int]]) -> Tuple[np.ndarray, np.ndarray]:
    """(tokens, 384) token vectors and the (1, 384) message vector.

    A token's vector is the mean of its word pieces (``hits``); the message's is the unit mean
    of all of them, which also stands for a token no piece overlaps.
    """
    matrix = np.concatenate(pieces) if pieces else np.zeros((0, DIMENSIONS), np.float32)
    mean = matrix.mean(0) if len(matrix) else np.zeros(DIMENSIONS, np.float32)
    unit = mean / max(float(np.linalg.norm(mean)), 1e-12)
    rows = [matrix[found].mean(0) if found else unit for found in hits]
    sequence = np.stack(rows) if rows else np.zeros((0, DIMENSIONS), np.float32)
    return sequence.astype(np.float32), unit[None, :].astype(np.float32)
