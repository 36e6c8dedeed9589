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
ResponseSelector, the crisis bank, the safety net), so these are not the served model's figures;
nor what serving a fine-tuned encoder would cost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from pause.encoder import DIMENSIONS, MAX_PIECES, default_model_dir, shared_encoder
from pause.encoder_graph import build_model
from pause.sentences import split_sentences
from scripts.nlu_eval import CRISIS, read_lines, read_set

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "data" / "nlu"
# The spent sets, the only ones this script reads (a .txt is everyday lines, none crisis).
# Never add the blind set: tests/nlu_realistic2, tests/safety/everyday6.txt, tests/mixed/mixed6.yml.
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
BATCH, DROPOUT, WEIGHT_DECAY, HEAD_LR = 32, 0.1, 0.01, 1e-3
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


def load_model() -> Tuple[Dict[str, Any], Dict[str, np.ndarray], Any]:
    """config.json, the weights and the tokenizer, loaded as pause/encoder.py loads them."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = default_model_dir()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_PIECES)
    tokenizer.enable_padding()  # to the longest text of each batch, with a 0/1 mask
    return (json.loads((folder / "config.json").read_text()),
            load_file(str(folder / "model.safetensors")), tokenizer)


def bottom_states(units: Sequence[str], layers: int, model: Tuple[Any, ...]) -> List[np.ndarray]:
    """Hidden states after the first ``layers`` layers of every unit, (pieces, 384) each."""
    import onnxruntime

    config, weights, tokenizer = model
    graph = build_model(weights, heads=int(config["num_attention_heads"]), layers=layers,
                        eps=float(config["layer_norm_eps"]))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = 2, 3
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    order = sorted(range(len(units)), key=lambda i: len(units[i]))
    out: List[np.ndarray] = [np.zeros(0)] * len(units)
    for start in range(0, len(order), 32):
        chunk = order[start:start + 32]
        encodings = tokenizer.encode_batch([units[i] for i in chunk])
        ids = np.array([e.ids for e in encodings], np.int64)
        mask = np.array([e.attention_mask for e in encodings], np.float32)
        hidden = session.run(["hidden"], {"input_ids": ids, "attention_mask": mask})[0]
        for row, i in enumerate(chunk):
            out[i] = np.array(hidden[row, :int(mask[row].sum())], np.float32)
    return out


def pad(states: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded states, the attention mask, and the pooling mask without [CLS] and [SEP]."""
    width = max(len(s) for s in states)
    x = np.zeros((len(states), width, DIMENSIONS), np.float32)
    mask = np.zeros((len(states), width), np.float32)
    for i, s in enumerate(states):
        x[i, :len(s)], mask[i, :len(s)] = s, 1.0
    pool = mask.copy()
    pool[:, 0] = 0.0
    pool[np.arange(len(states)), [len(s) - 1 for s in states]] = 0.0
    return x, mask, pool


class TopLayers:
    """Layers ``first`` to 5 of the encoder as TensorFlow variables (dense weights (in, out))."""

    def __init__(self, first: int, model: Tuple[Any, ...]) -> None:
        config, w, _ = model
        self._heads, self._eps = int(config["num_attention_heads"]), float(config["layer_norm_eps"])
        self.layers: List[List[Any]] = []
        for n in range(first, int(config["num_hidden_layers"])):
            p = f"encoder.layer.{n}."
            qkv = [p + "attention.self." + part for part in ("query", "key", "value")]
            arrays = [np.concatenate([w[q + ".weight"] for q in qkv]).T,
                      np.concatenate([w[q + ".bias"] for q in qkv])]
            for k in ("attention.output.dense", "attention.output.LayerNorm",
                      "intermediate.dense", "output.dense", "output.LayerNorm"):
                weight = w[p + k + ".weight"]
                arrays += [weight.T if weight.ndim == 2 else weight, w[p + k + ".bias"]]
            self.layers.append([tf.Variable(np.ascontiguousarray(a, np.float32)) for a in arrays])
        self.variables = [v for layer in self.layers for v in layer]
        spec = [tf.TensorSpec([None, None, DIMENSIONS]), tf.TensorSpec([None, None])]
        self.infer = tf.function(lambda x, m: self(x, m, False), input_signature=spec)

    def _norm(self, x: Any, gamma: Any, beta: Any) -> Any:
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) / tf.sqrt(var + self._eps) * gamma + beta

    def _drop(self, x: Any, training: bool) -> Any:
        return tf.nn.dropout(x, DROPOUT) if training else x

    def __call__(self, x: Any, mask: Any, training: bool) -> Any:
        """The last layer's states for the states ``x`` entering the first of these layers."""
        size, width, head = tf.shape(x)[0], tf.shape(x)[1], DIMENSIONS // self._heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]

        def split(t: Any) -> Any:
            return tf.transpose(tf.reshape(t, [size, width, self._heads, head]), [0, 2, 1, 3])

        for qw, qb, aw, ab, ag, an, iw, ib, ow, ob, og, on in self.layers:
            q, k, v = (split(t) for t in tf.split(tf.einsum("btd,de->bte", x, qw) + qb, 3, -1))
            probs = tf.nn.softmax(tf.matmul(q / np.sqrt(head), k, transpose_b=True) + bias, -1)
            context = tf.transpose(tf.matmul(self._drop(probs, training), v), [0, 2, 1, 3])
            context = tf.einsum("btd,de->bte", tf.reshape(context, [size, width, DIMENSIONS]), aw)
            x = self._norm(x + self._drop(context + ab, training), ag, an)
            inner = tf.nn.gelu(tf.einsum("btd,de->bte", x, iw) + ib, approximate=False)
            x = self._norm(x + self._drop(tf.einsum("bti,id->btd", inner, ow) + ob, training),
                           og, on)
        return x

    def sums(self, states: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per unit: the sum and count of its word pieces' last states, and its sentence vector."""
        order = sorted(range(len(states)), key=lambda i: len(states[i]))
        sums = np.zeros((len(states), DIMENSIONS), np.float32)
        counts = np.zeros(len(states), np.float32)
        unit = np.zeros((len(states), DIMENSIONS), np.float32)
        for start in range(0, len(order), 64):
            chunk = order[start:start + 64]
            x, mask, pool = pad([states[i] for i in chunk])
            hidden = self.infer(x, mask).numpy()
            sums[chunk], counts[chunk] = (hidden * pool[:, :, None]).sum(1), pool.sum(1)
            full = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
            unit[chunk] = full / np.linalg.norm(full, axis=1, keepdims=True)
        return sums, counts, unit


def message_vectors(owners: List[List[int]], sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Unit mean of the word pieces of all a message's sentences (sentence_featurizer.py)."""
    rows = np.stack([sums[units].sum(0) / max(float(counts[units].sum()), 1.0) for units in owners])
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


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


def fine_tune(top: TopLayers, train: List[List[np.ndarray]], labels: List[str],
              head: LogisticRegression, epochs: int, lr: float, seed: int) -> None:
    """Trains ``top`` (and a softmax head initialised from ``head``) on the training messages."""
    rng = np.random.default_rng(seed)
    classes = list(head.classes_)
    y = np.array([classes.index(label) for label in labels], np.int32)
    weights = (len(y) / (len(classes) * np.bincount(y, minlength=len(classes))))[y]
    hw = tf.Variable(head.coef_.T.astype(np.float32))
    hb = tf.Variable(head.intercept_.astype(np.float32))
    encoder_opt = tf.keras.optimizers.AdamW(learning_rate=lr, weight_decay=WEIGHT_DECAY)
    head_opt = tf.keras.optimizers.AdamW(learning_rate=HEAD_LR, weight_decay=0.0)
    spec = [tf.TensorSpec([None, None, DIMENSIONS]), tf.TensorSpec([None, None]),
            tf.TensorSpec([None, None]), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None]),
            tf.TensorSpec([None], tf.int32)]

    @tf.function(input_signature=spec)
    def step(x: Any, mask: Any, pool: Any, yy: Any, sw: Any, segment: Any) -> Any:
        with tf.GradientTape() as tape:
            hidden = top(x, mask, True)  # each row one sentence; segment: its message
            size = tf.shape(yy)[0]
            sums = tf.math.unsorted_segment_sum(
                tf.reduce_sum(hidden * pool[:, :, None], 1), segment, size)
            count = tf.math.unsorted_segment_sum(tf.reduce_sum(pool, 1), segment, size)
            pooled = tf.math.l2_normalize(sums / tf.maximum(count, 1.0)[:, None], axis=-1)
            logits = tf.nn.dropout(pooled, DROPOUT) @ hw + hb
            loss = tf.reduce_sum(
                tf.nn.sparse_softmax_cross_entropy_with_logits(yy, logits) * sw) / tf.reduce_sum(sw)
        grads = tape.gradient(loss, top.variables + [hw, hb])
        encoder_opt.apply_gradients([(grads[i], v) for i, v in enumerate(top.variables)])
        head_opt.apply_gradients([(grads[-2], hw), (grads[-1], hb)])
        return loss

    lengths = np.array([sum(len(s) for s in message) for message in train])
    window = BATCH * 50  # batches of similar lengths: sorted inside windows, then shuffled
    for epoch in range(epochs):
        perm, batches = rng.permutation(len(y)), []
        for start in range(0, len(perm), window):
            part = perm[start:start + window]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches += [part[i:i + BATCH] for i in range(0, len(part), BATCH)]
        rng.shuffle(batches)  # type: ignore[arg-type]
        total = 0.0
        for b in batches:
            segment = np.array([j for j, i in enumerate(b) for _ in train[i]], np.int32)
            x, mask, pool = pad([s for i in b for s in train[i]])
            loss = step(x, mask, pool, y[b], weights[b].astype(np.float32), segment)
            total += float(loss) * len(b)
        print(f"  epoch {epoch + 1}: loss {total / len(y):.4f}", flush=True)


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
        owners[name] = []
        for text, _ in pairs:
            spans = split_sentences(text) or [(0, len(text))]
            owners[name].append(list(range(len(units), len(units) + len(spans))))
            units += [text[a:b] for a, b in spans]
    model = load_model()
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
        fine_tune(top, train, labels, head, args.epochs, args.lr, seed)
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
