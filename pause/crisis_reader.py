"""The crisis reader: a small network that reads one sentence at a time as crisis or not.

It is one of the layers any one of which makes a message crisis (the others: the intent
vote, the regression and the bank in ``components.sentence_analyser``, and the SafetyNet's
patterns). The vote and the regression are linear in the encoder's vectors and weigh crisis
against every other intent at once; this reader is a one-hidden-layer network that weighs only
crisis against everything else, on both encodings of a sentence (pretrained and fine-tuned,
side by side), so that it can learn the indirect ways people say it ("keep saying sorry to
people for things from years ago, clearing the slate") without reading every sad story as
crisis.

It reads **sentences**, and it learns from sentences:
- **crisis**: the bank's crisis sentences, every crisis example of one sentence, and from a
  crisis story only its sentence closest to those (a story's other sentences are ordinary:
  taught as crisis, they made the network read ordinary relationship stories as crisis);
- **not crisis**: every sentence and the whole message of every other training example, and
  the near misses of ``crisis_examples.yml`` (hyperbole, the end of a relationship, tired or
  low but safe, safe talk of pills, bridges or knives).
Crisis stories come from the training data and from ``crisis_examples.yml``.

A message is crisis when any of its sentences scores at least the threshold, which was set on
the spent sets and a study set written for it (README, "Safety").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import yaml

EXAMPLES_FILE = Path(__file__).resolve().parent.parent / "components" / "safety_tables" / (
    "crisis_examples.yml")


def read_examples(path: Path = EXAMPLES_FILE) -> Tuple[List[str], List[str]]:
    """The file's crisis messages and its near misses."""
    content = yaml.safe_load(path.read_text()) or {}
    return ([str(line) for line in content.get("crisis") or []],
            [str(line) for line in content.get("not_crisis") or []])


@dataclass(frozen=True)
class CrisisReader:
    """The fitted network's weights: ReLU hidden layer, then one logistic output."""

    hidden_weights: np.ndarray  # (features, hidden)
    hidden_bias: np.ndarray  # (hidden,)
    output_weights: np.ndarray  # (hidden,)
    output_bias: float

    @classmethod
    def fit(cls, crisis: np.ndarray, safe: np.ndarray, hidden: int = 256,
            regularisation: float = 0.1, seed: int = 0) -> CrisisReader:
        """Fits the network on crisis rows against safe rows (deterministic for a seed)."""
        from threadpoolctl import threadpool_limits

        rows = np.vstack([crisis, safe]).astype(np.float32)
        labels = np.concatenate([np.ones(len(crisis)), np.zeros(len(safe))])
        network = _network_class()(hidden_layer_sizes=(hidden,), alpha=regularisation,
                                   max_iter=300, random_state=seed)
        # Training only: the served encoder holds the process to one BLAS thread.
        with threadpool_limits(limits=2, user_api="blas"):
            network.fit(rows, labels)
        return cls(_flushed(network.coefs_[0]), _flushed(network.intercepts_[0]),
                   _flushed(network.coefs_[1][:, 0]), float(network.intercepts_[1][0]))

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> CrisisReader:
        """The reader as stored in a trained model."""
        return cls(_flushed(arrays["hidden_weights"]), _flushed(arrays["hidden_bias"]),
                   _flushed(arrays["output_weights"]), float(arrays["output_bias"]))

    def arrays(self) -> Dict[str, np.ndarray]:
        """The weights, to store in a trained model."""
        return {"hidden_weights": self.hidden_weights, "hidden_bias": self.hidden_bias,
                "output_weights": self.output_weights,
                "output_bias": np.asarray(self.output_bias, np.float32)}

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """The probability of crisis for each row (a message's or a sentence's features)."""
        hidden = np.maximum(rows @ self.hidden_weights + self.hidden_bias, 0.0)
        logits = hidden @ self.output_weights + self.output_bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))


@dataclass(frozen=True)
class Example:
    """One training message as the reader sees it."""

    message: np.ndarray  # (features,) the whole message
    sentences: np.ndarray  # (sentences, features)
    frozen: np.ndarray  # (sentences, 384) the pretrained unit vectors, to pick a crisis sentence
    crisis: bool


def training_rows(examples: Sequence[Example], bank: np.ndarray,
                  bank_frozen: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The crisis rows and the safe rows the network learns from (see the module docstring).

    ``bank`` holds the bank's sentences as features, ``bank_frozen`` as pretrained vectors.
    """
    single = [e for e in examples if e.crisis and len(e.sentences) == 1]
    pool = np.vstack([bank_frozen, *(e.frozen for e in single)])
    crisis: List[np.ndarray] = [bank]
    safe: List[np.ndarray] = []
    for example in examples:
        if not len(example.sentences):
            continue
        if example.crisis:
            closest = int((example.frozen @ pool.T).max(1).argmax())
            crisis.append(example.sentences[closest : closest + 1])
        else:
            safe += [example.sentences, example.message[None, :]]
    return np.vstack(crisis), np.vstack(safe)


def _network_class() -> type:
    """The MLPClassifier of sklearn, with subnormal weights set to zero after each epoch.

    Regularisation drives many weights towards zero; left as float32 subnormals they made each
    later epoch about ten times slower (the network took 151-154 s to train, now about 20 s, with
    the same decisions on every study and spent set). sklearn has no per-epoch callback, so
    this hooks the method its Adam loop calls once at the end of every epoch (sklearn 1.1.3 is
    pinned in constraints.txt; ``tests/test_crisis_reader.py`` checks the hook is still called).
    """
    from sklearn.neural_network import MLPClassifier

    class FlushingMLPClassifier(MLPClassifier):  # type: ignore[misc]
        def _update_no_improvement_count(self, *args: object) -> None:
            for weights in (*self.coefs_, *self.intercepts_):
                _zero_subnormals(weights)
            super()._update_no_improvement_count(*args)

    return FlushingMLPClassifier


def _flushed(weights: np.ndarray) -> np.ndarray:
    """The weights in float32, with subnormal values set to zero.

    Regularisation drives the weights of unused inputs towards zero; as float32 subnormals they
    made one product 25 times slower (1.5 against 0.06 ms for 8 sentences), for a difference of
    1e-38 in the scores.
    """
    return _zero_subnormals(np.array(weights, dtype=np.float32))


def _zero_subnormals(weights: np.ndarray) -> np.ndarray:
    """Sets the subnormal values of a float array to zero, in place (the optimiser holds it)."""
    weights[np.abs(weights) < np.finfo(weights.dtype).tiny] = 0.0
    return weights


def features(frozen: np.ndarray, tuned: np.ndarray) -> np.ndarray:
    """The reader's rows: the pretrained and the fine-tuned vectors side by side."""
    return np.hstack([np.atleast_2d(frozen), np.atleast_2d(tuned)]).astype(np.float32)
