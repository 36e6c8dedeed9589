"""Fine-tunes the encoder's top layers on the training data, when the model is trained.

The pretrained all-MiniLM-L6-v2 knows English, not this assistant's labels: it puts "she said
she loves me and i wanted to run" close to the question "do avoidants love". Training its top
``layers`` layers a little on the training data (the intents, FAQ topics apart) moves the
sentence vectors so that what the assistant must tell apart lies apart. On the spent held-out
sets this took a plain regression from 0.754 to 0.799 on the fifth round and its crisis recall
from 0.729 to 0.843 (benchmarks/encoder_finetune.py; README, "Fine-tuning the encoder").

How: the frozen bottom layers run once, on onnxruntime (pause/encoder_graph.py's graph cut
after them). The top layers become TensorFlow variables under a softmax head that starts from
a logistic regression on the pretrained vectors, and train for ``epochs`` epochs (AdamW,
batch 32, dropout 0.1). A message is read as components/sentence_featurizer.py reads it: each
sentence of ``pause.sentences.split_sentences`` encoded alone, the unit mean of all their word
pieces. The result is the top layers' weights, named as the package names them, for
``SentenceEncoder(tuned=...)``. TensorFlow is imported only here, at training time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from pause.encoder import DIMENSIONS, MAX_PIECES, default_model_dir
from pause.encoder_graph import build_model
from pause.sentences import split_sentences

BATCH, DROPOUT, WEIGHT_DECAY, HEAD_LR = 32, 0.1, 0.01, 1e-3
_PARTS = ("attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
          "output.dense", "output.LayerNorm")


@dataclass(frozen=True)
class Settings:
    """How much to tune: the top ``layers`` layers, ``epochs`` passes at ``learning_rate``."""

    layers: int = 2
    epochs: int = 4
    learning_rate: float = 2e-4
    seed: int = 2024
    regularisation: float = 4.0  # C of the regression the head starts from


@dataclass(frozen=True)
class Pretrained:
    """The package's config, weights and tokenizer (padding to the longest text of a batch)."""

    config: Dict[str, Any]
    weights: Dict[str, np.ndarray]
    tokenizer: Any

    @classmethod
    def load(cls) -> Pretrained:
        """Reads them from the installed package, as pause/encoder.py does."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = default_model_dir()
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_PIECES)
        tokenizer.enable_padding()
        return cls(json.loads((folder / "config.json").read_text()),
                   load_file(str(folder / "model.safetensors")), tokenizer)

    @property
    def depth(self) -> int:
        """How many layers the model has."""
        return int(self.config["num_hidden_layers"])


def bottom_states(units: Sequence[str], layers: int, model: Pretrained) -> List[np.ndarray]:
    """Hidden states after the first ``layers`` layers of every unit, (pieces, 384) each."""
    import onnxruntime

    graph = build_model(model.weights, heads=int(model.config["num_attention_heads"]),
                        layers=layers, eps=float(model.config["layer_norm_eps"]))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = 2, 3
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    order = sorted(range(len(units)), key=lambda i: len(units[i]))
    out: List[np.ndarray] = [np.zeros(0)] * len(units)
    for start in range(0, len(order), 32):
        chunk = order[start:start + 32]
        encodings = model.tokenizer.encode_batch([units[i] for i in chunk])
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
    """Layers ``first`` to the last as TensorFlow variables (dense weights (in, out))."""

    def __init__(self, first: int, model: Pretrained) -> None:
        import tensorflow as tf

        self._tf = tf
        self._heads = int(model.config["num_attention_heads"])
        self._eps = float(model.config["layer_norm_eps"])
        self.first = first
        w = model.weights
        self.layers: List[List[Any]] = []
        for n in range(first, model.depth):
            p = f"encoder.layer.{n}."
            qkv = [p + "attention.self." + part for part in ("query", "key", "value")]
            arrays = [np.concatenate([w[q + ".weight"] for q in qkv]).T,
                      np.concatenate([w[q + ".bias"] for q in qkv])]
            for k in _PARTS:
                weight = w[p + k + ".weight"]
                arrays += [weight.T if weight.ndim == 2 else weight, w[p + k + ".bias"]]
            self.layers.append([tf.Variable(np.ascontiguousarray(a, np.float32)) for a in arrays])
        self.variables = [v for layer in self.layers for v in layer]
        spec = [tf.TensorSpec([None, None, DIMENSIONS]), tf.TensorSpec([None, None])]
        self.infer = tf.function(lambda x, m: self(x, m, False), input_signature=spec)

    def export(self) -> Dict[str, np.ndarray]:
        """The layers' weights named and shaped as the package's (torch) weights are."""
        out: Dict[str, np.ndarray] = {}
        for n, variables in enumerate(self.layers, start=self.first):
            arrays = [v.numpy() for v in variables]
            p = f"encoder.layer.{n}."
            for part, weight, bias in zip(("query", "key", "value"),
                                          np.split(arrays[0].T, 3), np.split(arrays[1], 3),
                                          strict=True):
                out[p + "attention.self." + part + ".weight"] = np.ascontiguousarray(weight)
                out[p + "attention.self." + part + ".bias"] = bias
            for k, weight, bias in zip(_PARTS, arrays[2::2], arrays[3::2], strict=True):
                out[p + k + ".weight"] = np.ascontiguousarray(weight.T if weight.ndim == 2
                                                              else weight)
                out[p + k + ".bias"] = bias
        return out

    def _norm(self, x: Any, gamma: Any, beta: Any) -> Any:
        mean, var = self._tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) / self._tf.sqrt(var + self._eps) * gamma + beta

    def _drop(self, x: Any, training: bool) -> Any:
        return self._tf.nn.dropout(x, DROPOUT) if training else x

    def __call__(self, x: Any, mask: Any, training: bool) -> Any:
        """The last layer's states for the states ``x`` entering the first of these layers."""
        tf = self._tf
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


def sentence_units(texts: Sequence[str]) -> Tuple[List[str], List[List[int]]]:
    """Every text's sentences, flat, and for each text the indices of its own."""
    units: List[str] = []
    owners: List[List[int]] = []
    for text in texts:
        spans = split_sentences(text) or [(0, len(text))]
        owners.append(list(range(len(units), len(units) + len(spans))))
        units += [text[a:b] for a, b in spans]
    return units, owners


def fine_tune(top: TopLayers, train: List[List[np.ndarray]], labels: Sequence[str],
              head: Any, epochs: int, lr: float, seed: int) -> List[float]:
    """Trains ``top`` (and a softmax head initialised from the regression ``head``).

    ``train``: each message's sentences' bottom states. Returns each epoch's mean loss.
    """
    import tensorflow as tf

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
    losses: List[float] = []
    for _ in range(epochs):
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
        losses.append(total / len(y))
    return losses


def tune(texts: Sequence[str], labels: Sequence[str], settings: Settings) -> Dict[str, np.ndarray]:
    """The fine-tuned top layers for these labelled messages (see the module docstring)."""
    import tensorflow as tf
    from sklearn.linear_model import LogisticRegression

    model = Pretrained.load()
    first = model.depth - settings.layers
    units, owners = sentence_units(texts)
    states = bottom_states(units, first, model)
    tf.random.set_seed(settings.seed)
    top = TopLayers(first, model)
    sums, counts, _ = top.sums(states)
    head = LogisticRegression(C=settings.regularisation, class_weight="balanced", max_iter=2000)
    head.fit(message_vectors(owners, sums, counts), list(labels))
    fine_tune(top, [[states[u] for u in units_of] for units_of in owners], labels, head,
              settings.epochs, settings.learning_rate, settings.seed)
    return top.export()
