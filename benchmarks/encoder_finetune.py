"""Fine-tuning the top encoder layers for the intent regression: frozen vs fine-tuned vectors.

Baseline: a logistic regression (C=4, balanced) on the frozen all-MiniLM-L6-v2 message vectors
of data/nlu (label: the intent, or ``faq/<key>``). Fine-tuned, per seed: the top ``--layers``
layers trained in TensorFlow (AdamW, batch 32, dropout 0.1) under a softmax head started from
that regression, then a fresh regression of the same kind on the new vectors. A message is read
as components/sentence_featurizer.py reads it: the sentences of
``pause.sentences.split_sentences`` encoded alone, the unit mean of all their word pieces. The
frozen bottom layers run once (pause/encoder_graph.py's graph, cut after them); before training
the script asserts that, unchanged, bottom and top give pause.encoder's sentence vectors (1e-4).

Printed, frozen vs fine-tuned (median over ``--seeds``, then each seed): per spent set
intent+topic accuracy, FAQ-only accuracy and crisis recall; crisis false positives on the spent
everyday sets; the fine-tuning wall time. Only the spent sets of ``SETS`` are read.
Reproduce: `PYTHONPATH=. .venv/bin/python -m benchmarks.encoder_finetune --layers 2 --epochs 4
--lr 2e-4 --seeds 0 1` (about 6 minutes on a quiet 2-core machine); a smoke run: `--limit 200
--epochs 1 --seeds 0` (trains on 200 random examples, scores the first 200 of each set).

Not measured: the assistant. This is the regression alone, not the Rasa pipeline (DIET and the
ResponseSelector, the crisis bank, the safety net), so these are not the served model's figures.
The training code is pause/encoder_tuning.py's, the one `rasa train` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from pause.encoder import shared_encoder
from pause.encoder_tuning import (
    Pretrained,
    TopLayers,
    bottom_states,
    fine_tune,
    message_vectors,
    sentence_units,
)
from scripts.nlu_eval import CRISIS, read_lines, read_set

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "data" / "nlu"
# The spent sets, the only ones this script reads (a .txt is everyday lines, none crisis).
# Never add the blind sets: tests/nlu_realistic2 and 3, tests/safety/everyday6.txt and
# everyday7.txt, tests/mixed/mixed6.yml and mixed7.yml.
SETS: Dict[str, Path] = {
    "r1-4": ROOT / "tests" / "nlu_realistic",  # its top-level *.yml: rounds 1-4
    "round5": ROOT / "tests" / "nlu_realistic" / "round5",
    "nlu": ROOT / "tests" / "nlu",
    "everyday": ROOT / "tests" / "safety" / "everyday.txt",
    "everyday_round2": ROOT / "tests" / "safety" / "everyday_round2.txt",
    "everyday_round3": ROOT / "tests" / "safety" / "everyday_round3.txt",
    "everyday4": ROOT / "tests" / "safety" / "everyday4.txt",
    "everyday5": ROOT / "tests" / "safety" / "everyday5.txt",
}
Pairs = List[Tuple[str, str]]


def load_sets(limit: int | None) -> Dict[str, Pairs]:
    """The sets as (text, label); everyday lines get the label "-". ``limit``: see --limit."""
    sets = {"train": read_set(TRAIN)}
    for name, path in SETS.items():
        pairs = [(t, "-") for t in read_lines(path)] if path.suffix == ".txt" else read_set(path)
        sets[name] = pairs[:limit] if limit else pairs
    if limit and limit < len(sets["train"]):
        pick = np.random.default_rng(0).choice(len(sets["train"]), limit, replace=False)
        sets["train"] = [sets["train"][i] for i in sorted(pick)]
    return sets


def figures(sets: Dict[str, Pairs],
            vectors: Dict[str, np.ndarray]) -> Tuple[Dict[str, float], LogisticRegression]:
    """A fresh regression on the training vectors, scored on every set of ``SETS``."""
    model = LogisticRegression(C=4, class_weight="balanced", max_iter=2000)
    model.fit(vectors["train"], [label for _, label in sets["train"]])
    out: Dict[str, float] = {}
    for name, path in SETS.items():
        gold = np.array([label for _, label in sets[name]], dtype=object)
        predicted = np.array(model.predict(vectors[name]), dtype=object)
        if path.suffix == ".txt":
            out[f"{name}|crisis FPs"] = float((predicted == CRISIS).sum())
            continue
        faq = np.array([g.startswith("faq/") for g in gold], bool)
        for metric, rows in (("accuracy", np.ones(len(gold), bool)), ("FAQ accuracy", faq),
                             ("crisis recall", gold == CRISIS)):
            out[f"{name}|{metric}"] = (float((gold[rows] == predicted[rows]).mean())
                                       if rows.any() else float("nan"))
    out["everyday total|crisis FPs"] = sum(v for k, v in out.items() if k.endswith("FPs"))
    return out, model


def main() -> None:
    """Baseline, then one fine-tuning per seed, then the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=2, choices=range(1, 7),
                        help="top layers fine-tuned")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-4, help="AdamW learning rate")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--limit", type=int, default=None,
                        help="smoke run: train on N random examples, score the first N of each set")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    started = time.perf_counter()
    sets = load_sets(args.limit)
    units: List[str] = []
    owners: Dict[str, List[List[int]]] = {}
    for name, pairs in sets.items():
        found, owned = sentence_units([text for text, _ in pairs])
        owners[name] = [[len(units) + i for i in own] for own in owned]
        units += found
    model = Pretrained.load()
    states = bottom_states(units, 6 - args.layers, model)
    print(f"{len(sets['train'])} training messages, {len(units)} sentences; bottom "
          f"{6 - args.layers} layers in {time.perf_counter() - started:.0f}s", flush=True)

    top = TopLayers(6 - args.layers, model)
    sums, counts, unit = top.sums(states)
    sample = list(range(0, len(units), max(1, len(units) // 200)))
    gap = float(np.abs(unit[sample] - shared_encoder().sentence_vectors(
        [units[i] for i in sample])).max())
    print(f"unchanged weights vs pause.encoder: max |diff| {gap:.2e} on {len(sample)} sentences")
    assert gap < 1e-4, f"the forward pass differs from pause.encoder's by {gap}"

    frozen = {name: message_vectors(o, sums, counts) for name, o in owners.items()}
    labels = [label for _, label in sets["train"]]
    baseline, head = figures(sets, frozen)
    train = [[states[u] for u in message] for message in owners["train"]]
    runs: List[Dict[str, float]] = []
    for seed in args.seeds:
        tf.random.set_seed(seed)
        top = TopLayers(6 - args.layers, model)
        began = time.perf_counter()
        for epoch, loss in enumerate(fine_tune(top, train, labels, head, args.epochs, args.lr,
                                               seed), start=1):
            print(f"  epoch {epoch}: loss {loss:.4f}", flush=True)
        wall = time.perf_counter() - began
        sums, counts, _ = top.sums(states)
        tuned, _ = figures(sets, {n: message_vectors(o, sums, counts) for n, o in owners.items()})
        runs.append({**tuned, "fine-tune wall s|": wall})
        print(f"seed {seed}: fine-tuned in {wall:.0f}s", flush=True)

    print(f"\ntop {args.layers} layers, {args.epochs} epochs, lr {args.lr}, seeds "
          f"{' '.join(map(str, args.seeds))}" + (f", limit {args.limit}" if args.limit else ""))
    print(f"{'set':<16} {'figure':<14} {'frozen':>8} {'tuned':>8}   per seed")
    for key in list(baseline) + ["fine-tune wall s|"]:
        name, metric = key.split("|")
        values = [run[key] for run in runs]
        form = "{:.0f}" if key.endswith(("FPs", "|")) else "{:.3f}"
        frozen_cell = form.format(baseline[key]) if key in baseline else "-"
        cells = [form.format(v) for v in [statistics.median(values)] + values]
        print(f"{name:<16} {metric:<14} {frozen_cell:>8} {cells[0]:>8}   {' '.join(cells[1:])}")
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
