"""Recall and false positives of the crisis-bank layer alone, for a grid of thresholds.

The bank layer (pause/crisis_bank.py) reads each sentence of a message. This measures it on
the training data and the dev set, never on the held-out sets: positives are the `crisis`
examples of data/nlu/ and of benchmarks/data/dev; negatives are benchmarks/data/hyperbole.txt
and the dev set's other messages. What is not crisis in training forms the bank's safe side,
as in the trained model.
Reproduce: `.venv/bin/python -m benchmarks.crisis_bank` (about a minute).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import List

import numpy as np

from pause.crisis_bank import CLOSE, MARGIN, SURE, CrisisBank
from pause.encoder import shared_encoder
from pause.sentences import split_sentences
from scripts.nlu_eval import read_lines, read_set

ROOT = Path(__file__).resolve().parent.parent


def sentence_matrices(texts: List[str]) -> List[np.ndarray]:
    encoder = shared_encoder()
    pieces = [[t[a:b] for a, b in split_sentences(t)] for t in texts]
    flat = encoder.sentence_vectors([p for group in pieces for p in group])
    out, cursor = [], 0
    for group in pieces:
        out.append(flat[cursor : cursor + len(group)])
        cursor += len(group)
    return out


SPENT = (ROOT / "tests" / "nlu_realistic", ROOT / "tests" / "safety" / "everyday_regression.txt",
         ROOT / "tests" / "safety" / "everyday.txt")


def main() -> int:
    training = [(t, label) for t, label in read_set(ROOT / "data" / "nlu")
                if not t.startswith("/")]
    dev = read_set(ROOT / "benchmarks" / "data" / "dev")
    negatives = read_lines(ROOT / "benchmarks" / "data" / "hyperbole.txt")
    if "--spent" in sys.argv:  # the first blind sets, spent on 2026-12-01 (see tests/README)
        dev += read_set(SPENT[0])
        negatives += [line for path in SPENT[1:] for line in read_lines(path)]
    positives = [t for t, label in training + dev if label == "crisis"]
    held = len(positives) - len([1 for t, label in dev if label == "crisis"])
    negatives += [t for t, label in dev if label != "crisis"]
    safe = np.stack([m.mean(0) / np.linalg.norm(m.mean(0)) for m in sentence_matrices(
        [t for t, label in training if label != "crisis"])])
    bank = CrisisBank.build(safe)
    pos, neg = sentence_matrices(positives), sentence_matrices(negatives)
    print(f"bank: {len(bank.crisis)} crisis lines, {len(bank.safe)} safe examples; "
          f"{len(positives)} crisis and {len(negatives)} other messages")
    print(f"{'sure':>5} {'close':>6} {'margin':>7} {'recall':>7} {'dev rec':>7} {'false pos':>10}")
    for sure, close, margin in itertools.product((0.75, 0.8, 0.85), (0.55, 0.6, 0.65),
                                                 (0.0, 0.05, 0.1, 0.15)):
        trial = CrisisBank(bank.crisis, bank.safe, sure, close, margin)
        hits = [trial.matches(m) for m in pos]
        recall, dev_recall = np.mean(hits), np.mean(hits[held:])
        false = [t for t, m in zip(negatives, neg, strict=True) if trial.matches(m)]
        chosen = " <- in use" if (sure, close, margin) == (SURE, CLOSE, MARGIN) else ""
        print(f"{sure:>5} {close:>6} {margin:>7} {recall:>7.3f} {dev_recall:>7.3f} "
              f"{len(false):>4} ({len(false) / len(negatives):.3%}){chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
