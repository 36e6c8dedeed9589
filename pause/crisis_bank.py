"""Semantic similarity to the project's own bank of crisis sentences.

Each sentence of a message is compared (cosine of the sentence encoder's unit vectors) with
``crisis_bank.txt``, one crisis sentence a line, and with every training example that is not
crisis, near misses included (data/nlu/near_misses.yml: hyperbole, dark jokes, the end of a
relationship). A sentence is crisis when it is very close to a crisis line, or close to one
and clearly closer to it than to anything that is not crisis. The thresholds were set on
the training data, benchmarks/data/hyperbole.txt and the dev set (``benchmarks/crisis_bank.py``
prints recall and false positives for a grid of them), never on the held-out sets. CLOSE went
from 0.55 to 0.60 on 2026-12-02, from the whole pipeline on the spent sets (second blind round
included): 158 of their 163 crisis messages still caught (149 with the bank off), and 14
instead of 20 of the second round's 249 everyday lines read as crisis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np

TABLES = Path(__file__).resolve().parent.parent / "components" / "safety_tables"
CRISIS_FILE = TABLES / "crisis_bank.txt"

SURE = 0.80  # this close to a crisis line is crisis, whatever else it is close to
CLOSE = 0.60  # this close is crisis when it is also ...
MARGIN = 0.05  # ... this much closer to the crisis line than to anything else


def bank_lines(path: Path) -> List[str]:
    """The non-empty, non-comment lines of a bank file."""
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


class CrisisBank:
    """The two banks as matrices of unit vectors, and the decision rule."""

    def __init__(self, crisis: np.ndarray, safe: np.ndarray, sure: float = SURE,
                 close: float = CLOSE, margin: float = MARGIN) -> None:
        self.crisis = crisis.astype(np.float32)
        self.safe = safe.astype(np.float32)
        self.sure, self.close, self.margin = sure, close, margin

    @classmethod
    def build(cls, safe: np.ndarray) -> CrisisBank:
        """Encodes the crisis lines (at training time; the model stores the vectors).

        ``safe`` holds the unit vectors of what is not crisis (the other training examples).
        """
        from pause.encoder import shared_encoder

        return cls(shared_encoder().sentence_vectors(bank_lines(CRISIS_FILE)), safe)

    @classmethod
    def from_arrays(cls, arrays: Dict[str, np.ndarray]) -> CrisisBank:
        """The bank as stored in a trained model."""
        return cls(arrays["bank_crisis"], arrays["bank_safe"])

    def arrays(self) -> Dict[str, np.ndarray]:
        """The bank's vectors, to store in a trained model."""
        return {"bank_crisis": self.crisis, "bank_safe": self.safe}

    def similarities(self, sentences: np.ndarray) -> np.ndarray:
        """(n, 2): for each sentence vector, the best cosine to a crisis and to a safe line."""
        best_crisis = (sentences @ self.crisis.T).max(1)
        best_safe = (sentences @ self.safe.T).max(1) if len(self.safe) else best_crisis * 0 - 1.0
        return np.stack([best_crisis, best_safe], 1)

    def flags(self, sentences: np.ndarray) -> np.ndarray:
        """A boolean per sentence vector: does it read as crisis?"""
        if not len(sentences) or not len(self.crisis):
            return np.zeros(len(sentences), dtype=bool)
        sims = self.similarities(sentences)
        return (sims[:, 0] >= self.sure) | (
            (sims[:, 0] >= self.close) & (sims[:, 0] - sims[:, 1] >= self.margin)
        )

    def matches(self, sentences: np.ndarray) -> bool:
        """Is any of the sentence vectors crisis?"""
        return bool(self.flags(sentences).any())
