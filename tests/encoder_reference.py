"""A plain numpy forward pass of all-MiniLM-L6-v2: the oracle that pause/encoder_graph.py's
ONNX graph is checked against (tests/test_encoder.py), and what benchmarks/encoder_speed.py
compares onnxruntime's speed with.

It computes BERT's last layer the way the model's config describes it, one product per dense
layer for all the word pieces of a batch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import numpy as np

from pause.encoder import DIMENSIONS, default_model_dir


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + eps)) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # the exact (erf) GELU that BERT was trained with

    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(np.float32)


class NumpyForward:
    """The encoder's forward pass in numpy, on the weights of the installed package."""

    def __init__(self, model_dir: Path | None = None) -> None:
        from safetensors.numpy import load_file

        folder = Path(model_dir) if model_dir else default_model_dir()
        config = json.loads((folder / "config.json").read_text())
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        raw = load_file(str(folder / "model.safetensors"))
        self._w: Dict[str, np.ndarray] = {
            name: value for name, value in raw.items() if name != "embeddings.position_ids"
        }
        for n in range(self._layers):  # query, key and value as one product
            p = f"encoder.layer.{n}.attention.self."
            self._w[f"encoder.layer.{n}.qkv.weight"] = np.ascontiguousarray(np.concatenate(
                [self._w.pop(p + part + ".weight") for part in ("query", "key", "value")], 0))
            self._w[f"encoder.layer.{n}.qkv.bias"] = np.concatenate(
                [self._w.pop(p + part + ".bias") for part in ("query", "key", "value")])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer, (batch, width, 384), for word-piece ids and a 0/1 mask."""
        return self._forward(ids, mask)

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
