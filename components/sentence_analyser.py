"""Reads a message as a whole and sentence by sentence, on the sentence encoder's vectors.

Runs after DIET and the ResponseSelector, before the FallbackClassifier. It trains two
logistic regressions on the encoder's message vectors of the training data (one class per
intent, FAQ topics apart): the **intent regression** on the pretrained vectors and the
**topic regression** on the fine-tuned ones (components/sentence_featurizer.py). Crisis is
decided on the pretrained vectors only: fine-tuned vectors read ordinary sad or distant
messages as crisis more often (README, "Fine-tuning the encoder"). At inference:
1. **Whole message.** The intent regression's intent probabilities and the topic regression's
   FAQ-topic probabilities are averaged with DIET's and the ResponseSelector's
   (``ensemble_weight`` is the regressions' share), so that one model's confident mistake on a
   long story can be outvoted by the other.
2. **Crisis, sentence by sentence** (``pause.crisis_bank``): a sentence the intent regression
   reads as crisis, or one close to the project's own bank of crisis sentences and not
   closer to any training example that is not crisis, makes the whole message crisis.
   Either layer alone is enough, as are the crisis reader after this component
   (``components.crisis_reader``) and the SafetyNet's patterns at the end of the pipeline.
3. **A moment inside a story.** When the message is a question, a sentence that is not a
   question and that the topic regression reads as a described moment is marked
   (``pause_moment`` in the parse output) so that the answer can reflect the moment too. When
   the message is a moment that also asks something, the question is marked
   (``pause_question``) so that the answer can be offered beside the reflection.
4. **The signal of a moment no pattern names** (``pause.signals``): the signal of the
   closest training moment that the SignalExtractor's patterns do name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.model_files import read_arrays, write_arrays
from components.safety_net import CRISIS_INTENT, force_intent
from components.sentence_featurizer import (
    SENTENCES_KEY,
    Readings,
    SentenceFeaturizer,
    message_vectors,
)
from components.signal_extractor import ENTITY_NAME as SIGNAL_ENTITY
from components.signal_extractor import detect_signal
from pause.crisis_bank import CRISIS_FILE, CrisisBank, bank_lines
from pause.encoder import DIMENSIONS
from pause.intents import MOMENT as MOMENT_INTENT
from pause.intents import QUESTION as RETRIEVAL_INTENT
from pause.signals import nearest_signal

WEIGHTS_FILE = "weights.npz"
MOMENT_KEY = "pause_moment"
QUESTION_KEY = "pause_question"
CRISIS_MARKER_KEY = "crisis_layers"
_QUESTION_START = (
    "why", "how", "what", "is ", "are ", "can ", "could ", "do ", "does ", "should ", "will ",
    "would ", "am i", "when ", "where ", "who ", "which ",
)


def _is_question(sentence: str) -> bool:
    sentence = sentence.strip().lower()
    return sentence.endswith("?") or sentence.startswith(_QUESTION_START)


def _question(text: str, spans: List[Tuple[int, int]]) -> Optional[Tuple[int, int]]:
    """The last sentence of a story that asks something, if any (a moment may end with one)."""
    for start, end in reversed(spans):
        if _is_question(text[start:end]):
            return start, end
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class SentenceAnalyser(GraphComponent):
    """The whole-message ensemble, sentence-level crisis layers and moments in stories."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The thresholds and the featurizer it reads (see the module docstring)."""
        return {
            "featurizer": "minilm",  # alias of the SentenceFeaturizer whose vectors it reads
            "ensemble_weight": 0.5,  # the regressions' share of the whole-message vote
            # The vote's intents from the fine-tuned vectors, crisis's share from the pretrained
            # ones (false: every intent from the pretrained vectors).
            "tuned_intents": True,
            "crisis_probability": 0.8,  # regression: a sentence this sure of crisis is crisis
            "moment_probability": 0.45,  # a sentence this sure (and surest of it) is a moment
            "regularisation": 4.0,  # C of the logistic regression
        }

    @classmethod
    def required_components(cls) -> List[type]:
        """The encoder must run first."""
        return [SentenceFeaturizer]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The crisis bank is read at training time, so a changed bank retrains this component."""
        return hashlib.sha256(CRISIS_FILE.read_bytes()).hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: Optional[Dict[str, np.ndarray]] = None,
        labels: Optional[List[str]] = None,
        signals: Optional[List[str]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._labels: List[str] = labels or []
        self._intents = _Regression.stored(weights or {}, "intent")
        self._topics = _Regression.stored(weights or {}, "topic")
        self._bank = CrisisBank.from_arrays(weights) if weights else None
        self._exemplars = weights["signal_vectors"] if weights else np.zeros((0, 0), np.float32)
        self._signals: List[str] = list(signals or [])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceAnalyser:
        """Creates an untrained analyser."""
        return cls(config, model_storage, resource)

    # --- training ------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        """Fits both regressions and encodes the crisis banks into the model.

        The intent regression and the bank read the pretrained vectors (their crisis
        thresholds were set on them); the topic regression reads the fine-tuned ones.
        """
        from sklearn.linear_model import LogisticRegression

        tuned, frozen, labels = [], [], []
        exemplars, signals = [], []
        readings: Optional[Readings] = None
        for message in training_data.intent_examples:
            vectors = message_vectors(message, self._config["featurizer"])
            label = message.get(INTENT_RESPONSE_KEY) or message.get(INTENT)
            readings = message.get(SENTENCES_KEY) or readings
            if vectors is not None and label:
                tuned.append(vectors[0])
                frozen.append(vectors[1])
                labels.append(str(label))
                named = detect_signal(message.get(TEXT) or "") if label == MOMENT_INTENT else None
                if named is not None:
                    exemplars.append(vectors[1])
                    signals.append(named[0])
        if len(set(labels)) < 2 or readings is None:
            return self._resource
        safe = np.stack([v for v, label in zip(frozen, labels, strict=True)
                         if label != CRISIS_INTENT])
        lines = readings.encoder.encode(bank_lines(CRISIS_FILE))
        self._bank = CrisisBank(np.stack([line.frozen for line in lines]), safe)
        # The bank's crisis sentences teach the regressions too: one sentence, standing alone,
        # is what they read when they check a story sentence by sentence.
        labels += [CRISIS_INTENT] * len(lines)
        fitted = []
        for rows in (frozen + [line.frozen for line in lines],
                     tuned + [line.sentence for line in lines]):
            regression = LogisticRegression(
                C=float(self._config["regularisation"]), max_iter=2000, class_weight="balanced"
            )
            fitted.append(regression.fit(np.stack(rows), labels))
        self._labels = [str(label) for label in fitted[0].classes_]
        self._intents = _Regression.of(fitted[0])
        self._topics = _Regression.of(fitted[1])
        self._exemplars = np.stack(exemplars) if exemplars else np.zeros((0, 384), np.float32)
        self._signals = signals
        write_arrays(self._storage, self._resource, WEIGHTS_FILE, {
            **self._intents.arrays("intent"), **self._topics.arrays("topic"),
            "signal_vectors": self._exemplars, **self._bank.arrays()})
        with self._storage.write_to(self._resource) as folder:
            (folder / "labels.json").write_text(
                json.dumps({"labels": self._labels, "signals": self._signals}))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceAnalyser:
        """Loads the regression and the bank vectors stored by ``train``."""
        weights = read_arrays(model_storage, resource, WEIGHTS_FILE)
        if weights is None:  # nothing was trained (too few intents)
            return cls(config, model_storage, resource)
        with model_storage.read_from(resource) as folder:
            names = json.loads((folder / "labels.json").read_text())
        return cls(config, model_storage, resource, weights, names["labels"], names["signals"])

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Returns the training data unchanged."""
        return training_data

    # --- inference -----------------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        """Votes, checks every sentence for crisis and marks a moment in a story."""
        if not self._labels:
            return messages
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        readings: Optional[Readings] = message.get(SENTENCES_KEY)
        whole = message_vectors(message, self._config["featurizer"])
        if whole is None or readings is None or not readings.spans or text.startswith("/"):
            return
        tuned, frozen = whole
        topics = self._topics.probabilities(tuned[None, :])[0]
        self._vote(message, self._intent_probabilities(frozen, topics), topics)
        layers = self._crisis_layers(readings.frozen,
                                     self._intents.probabilities(readings.frozen))
        if layers:
            force_intent(message, CRISIS_INTENT)
            message.set(CRISIS_MARKER_KEY, layers, add_to_output=True)
            return
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if intent == MOMENT_INTENT and detect_signal(text) is None:
            self._name_signal(message, np.vstack([frozen[None, :], readings.frozen]))
        if intent == MOMENT_INTENT:
            question = _question(text, readings.spans)
            if question is not None:
                message.set(QUESTION_KEY, {"start": question[0], "end": question[1]},
                            add_to_output=True)
        if intent == RETRIEVAL_INTENT and len(readings.spans) > 1:
            moment = self._moment(text, readings.spans,
                                  self._topics.probabilities(readings.sentences))
            if moment is not None:
                message.set(MOMENT_KEY, {"start": moment[0], "end": moment[1]},
                            add_to_output=True)

    def _name_signal(self, message: Message, vectors: np.ndarray) -> None:
        found = nearest_signal(vectors, self._exemplars, self._signals)
        if found is None:
            return
        text = message.get(TEXT) or ""
        entity = {"entity": SIGNAL_ENTITY, "value": found[0], "start": 0, "end": len(text),
                  "confidence_entity": round(found[1], 3), "extractor": type(self).__name__}
        message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)

    def _crisis_layers(self, frozen: np.ndarray, probabilities: np.ndarray) -> List[str]:
        """Which layers read a sentence as crisis.

        The regression reads the fine-tuned vectors, the bank the pretrained ones (``frozen``).
        """
        layers = []
        if CRISIS_INTENT in self._labels:
            column = self._labels.index(CRISIS_INTENT)
            if float(probabilities[:, column].max()) >= self._config["crisis_probability"]:
                layers.append("classifier")
        if self._bank is not None and self._bank.matches(frozen):
            layers.append("bank")
        return layers

    def _moment(
        self, text: str, spans: List[Tuple[int, int]], probabilities: np.ndarray
    ) -> Optional[Tuple[int, int]]:
        if MOMENT_INTENT not in self._labels:
            return None
        column = self._labels.index(MOMENT_INTENT)
        best: Optional[Tuple[int, int]] = None
        best_p = float(self._config["moment_probability"])
        for (start, end), row in zip(spans, probabilities, strict=True):
            if _is_question(text[start:end]):
                continue
            if float(row[column]) >= best_p and int(row.argmax()) == column:
                best, best_p = (start, end), float(row[column])
        return best

    def _vote(self, message: Message, intents: np.ndarray, topics_p: np.ndarray) -> None:
        """Averages the regressions' probabilities with DIET's and the selector's.

        The intents come from the pretrained vectors' regression, the topics from the
        fine-tuned one's. Both rankings are re-ordered by the averaged scores.
        """
        weight = float(self._config["ensemble_weight"])
        ranking = message.get(INTENT_RANKING_KEY) or []
        if weight <= 0 or not ranking:
            return
        ours: Dict[str, float] = {}
        topics: Dict[str, float] = {}
        for label, p, topic_p in zip(self._labels, intents, topics_p, strict=True):
            if label.startswith(RETRIEVAL_INTENT + "/"):
                ours[RETRIEVAL_INTENT] = ours.get(RETRIEVAL_INTENT, 0.0) + float(p)
                topics[label] = float(topic_p)
            else:
                ours[label] = float(p)
        scores = {
            entry[INTENT_NAME_KEY]: (1 - weight) * float(entry[PREDICTED_CONFIDENCE_KEY])
            + weight * ours.get(entry[INTENT_NAME_KEY], 0.0)
            for entry in ranking
        }
        for name, p in ours.items():
            scores.setdefault(name, weight * p)
        ranked = sorted(scores.items(), key=lambda item: -item[1])[: len(ranking)]
        new_ranking = [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: s} for n, s in ranked]
        message.set(INTENT, dict(new_ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
        self._vote_topics(message, topics, weight)

    @staticmethod
    def _vote_topics(message: Message, topics: Dict[str, float], weight: float) -> None:
        selectors = message.get("response_selector") or {}
        selector = selectors.get(RETRIEVAL_INTENT)
        if not selector or not topics:
            return
        total = sum(topics.values()) or 1.0
        entries = selector.get("ranking") or []
        scores = {
            str(e[INTENT_RESPONSE_KEY]): (1 - weight) * float(e["confidence"])
            + weight * topics.get(str(e[INTENT_RESPONSE_KEY]), 0.0) / total
            for e in entries
        }
        for key, p in topics.items():
            scores.setdefault(key, weight * p / total)
        ranked = sorted(scores.items(), key=lambda item: -item[1])[: max(len(entries), 1)]
        top_key, top_score = ranked[0]
        response = dict(selector.get("response") or {})
        if response.get(INTENT_RESPONSE_KEY) != top_key:
            response["responses"] = None
        response.update({
            INTENT_RESPONSE_KEY: top_key,
            "confidence": top_score,
            "utter_action": f"utter_{top_key}",
        })
        selector = {**selector, "response": response,
                    "ranking": [{INTENT_RESPONSE_KEY: k, "confidence": s} for k, s in ranked]}
        message.set("response_selector", {**selectors, RETRIEVAL_INTENT: selector},
                    add_to_output=True)

    def _intent_probabilities(self, frozen: np.ndarray, tuned: np.ndarray) -> np.ndarray:
        """The vote's intent probabilities.

        The pretrained regression's, or with ``tuned_intents`` the fine-tuned one's with
        crisis's share taken from the pretrained one: crisis is read on the pretrained vectors.
        """
        pretrained = self._intents.probabilities(frozen[None, :])[0]
        if not self._config["tuned_intents"] or CRISIS_INTENT not in self._labels:
            return pretrained
        column = self._labels.index(CRISIS_INTENT)
        crisis = float(pretrained[column])
        rest = max(1.0 - float(tuned[column]), 1e-9)
        mixed = tuned * ((1.0 - crisis) / rest)
        mixed[column] = crisis
        return mixed


@dataclass(frozen=True)
class _Regression:
    """A fitted logistic regression's weights, and its probabilities."""

    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def of(cls, fitted: Any) -> _Regression:
        """The weights of a fitted sklearn regression."""
        return cls(fitted.coef_.astype(np.float32), fitted.intercept_.astype(np.float32))

    @classmethod
    def stored(cls, weights: Dict[str, np.ndarray], name: str) -> _Regression:
        """The weights stored under ``name``, or none."""
        if f"{name}_coef" not in weights:
            return cls(np.zeros((0, DIMENSIONS), np.float32), np.zeros(0, np.float32))
        return cls(weights[f"{name}_coef"], weights[f"{name}_intercept"])

    def arrays(self, name: str) -> Dict[str, np.ndarray]:
        """The weights to store under ``name``."""
        return {f"{name}_coef": self.coef, f"{name}_intercept": self.intercept}

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """(rows, labels) softmax probabilities."""
        logits = matrix @ self.coef.T + self.intercept
        logits = np.exp(logits - logits.max(1, keepdims=True))
        return logits / logits.sum(1, keepdims=True)
