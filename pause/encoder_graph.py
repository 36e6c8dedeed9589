"""all-MiniLM-L6-v2 written as an ONNX graph, for onnxruntime (pause/encoder.py runs it).

The graph is BERT's forward pass as the model's own config describes it: word, position and
token-type embeddings, then per layer self-attention and a feed-forward block, each followed
by a residual sum and a layer norm, with the exact (erf) GELU that BERT was trained with.
It is built in memory from the safetensors weights of the installed package, so nothing is
downloaded and no exported file has to be kept in step with the weights.

Inputs: ``input_ids`` (int64, batch x width) and ``attention_mask`` (float32, 1 for a real
word piece, 0 for padding). Output: ``hidden``, the last layer (float32, batch x width x 384).
With ``tuned`` weights for the top layers (pause/encoder_tuning.py fine-tunes them), the graph
forks where they start: ``hidden`` stays the pretrained model's last layer, and ``tuned`` is
the last layer of the fine-tuned top. The bottom layers run once for both.
tests/test_encoder.py checks it against a plain numpy forward pass.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional

import numpy as np

OPSET = 17  # the first with LayerNormalization


class _Graph:
    """Collects nodes and constant weights; every node gets a fresh output name."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self._helper, self._numpy_helper = helper, numpy_helper
        self.nodes: List[Any] = []
        self.weights: List[Any] = []
        self._names = itertools.count()

    def const(self, array: np.ndarray) -> str:
        """A constant (a weight or a shape); returns its name."""
        name = f"w{next(self._names)}"
        self.weights.append(self._numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, kind: str, *inputs: str, **attributes: Any) -> str:
        """A node with one output; returns the output's name."""
        return self.ops(kind, 1, *inputs, **attributes)[0]

    def ops(self, kind: str, outputs: int, *inputs: str, **attributes: Any) -> List[str]:
        """A node with several outputs; returns their names."""
        names = [f"t{next(self._names)}" for _ in range(outputs)]
        self.nodes.append(self._helper.make_node(kind, list(inputs), names, **attributes))
        return names


def tuned_layers(tuned: Dict[str, np.ndarray]) -> List[int]:
    """The layer numbers that ``tuned`` holds weights for (``encoder.layer.<n>.``), in order."""
    return sorted({int(name.split(".")[2]) for name in tuned if name.startswith("encoder.layer.")})


def build_model(weights: Dict[str, np.ndarray], heads: int, layers: int, eps: float,
                tuned: Optional[Dict[str, np.ndarray]] = None) -> bytes:
    """The serialized ONNX model of the encoder with these (torch-named) weights.

    ``tuned``: torch-named weights of the top layers (up to ``layers``); the output ``tuned``
    is their last layer, computed from the same bottom layers as ``hidden``.
    """
    from onnx import TensorProto, helper

    g = _Graph()
    width = weights["embeddings.position_embeddings.weight"].shape[1]
    head = width // heads

    def layer_norm(x: str, prefix: str, w: Dict[str, np.ndarray] = weights) -> str:
        return g.op("LayerNormalization", x, g.const(w[prefix + ".weight"]),
                    g.const(w[prefix + ".bias"]), axis=-1, epsilon=eps)

    def dense(x: str, weight: np.ndarray, bias: np.ndarray) -> str:
        # torch keeps (out, in); MatMul takes (in, out). onnxruntime packs constant weights once.
        return g.op("Add", g.op("MatMul", x, g.const(np.ascontiguousarray(weight.T))),
                    g.const(bias))

    def linear(x: str, prefix: str, w: Dict[str, np.ndarray]) -> str:
        return dense(x, w[prefix + ".weight"], w[prefix + ".bias"])

    pieces = g.op("Slice", g.op("Shape", "input_ids"), g.const(np.array([1], np.int64)),
                  g.const(np.array([2], np.int64)))
    positions = g.op("Slice", g.const(weights["embeddings.position_embeddings.weight"]),
                     g.const(np.array([0], np.int64)), pieces, g.const(np.array([0], np.int64)))
    words = g.op("Gather", g.const(weights["embeddings.word_embeddings.weight"]), "input_ids",
                 axis=0)
    x = g.op("Add", g.op("Add", words, positions),
             g.const(weights["embeddings.token_type_embeddings.weight"][0]))
    x = layer_norm(x, "embeddings.LayerNorm")
    padding = g.op("Mul", g.op("Sub", g.const(np.array(1.0, np.float32)), "attention_mask"),
                   g.const(np.array(-1e9, np.float32)))  # padded pieces get no attention
    padding = g.op("Unsqueeze", padding, g.const(np.array([1, 2], np.int64)))
    split = g.const(np.array([0, 0, heads, head], np.int64))
    merge = g.const(np.array([0, 0, width], np.int64))
    scale = g.const(np.array(1.0 / np.sqrt(head), np.float32))
    half, one = g.const(np.array(0.5, np.float32)), g.const(np.array(1.0, np.float32))
    root2 = g.const(np.array(np.sqrt(2.0), np.float32))
    def layer(x: str, n: int, w: Dict[str, np.ndarray]) -> str:
        p = f"encoder.layer.{n}."
        parts = [p + "attention.self." + part for part in ("query", "key", "value")]
        qkv = dense(x, np.concatenate([w[q + ".weight"] for q in parts], 0),
                    np.concatenate([w[q + ".bias"] for q in parts]))
        q, k, v = g.ops("Split", 3, qkv, g.const(np.array([width] * 3, np.int64)), axis=2)
        q = g.op("Transpose", g.op("Reshape", q, split), perm=[0, 2, 1, 3])
        k = g.op("Transpose", g.op("Reshape", k, split), perm=[0, 2, 3, 1])
        v = g.op("Transpose", g.op("Reshape", v, split), perm=[0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), padding)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge)
        x = layer_norm(g.op("Add", x, linear(context, p + "attention.output.dense", w)),
                       p + "attention.output.LayerNorm", w)
        inner = linear(x, p + "intermediate.dense", w)
        inner = g.op("Mul", g.op("Mul", inner, half),
                     g.op("Add", g.op("Erf", g.op("Div", inner, root2)), one))
        return layer_norm(g.op("Add", x, linear(inner, p + "output.dense", w)),
                          p + "output.LayerNorm", w)

    top = [n for n in tuned_layers(tuned) if n < layers] if tuned else []
    fork = top[0] if top else layers
    for n in range(fork):
        x = layer(x, n, weights)
    y = x
    for n in range(fork, layers):
        x = layer(x, n, weights)
        y = layer(y, n, tuned if n in top and tuned is not None else weights)
    outputs = {"hidden": x, **({"tuned": y} if top else {})}
    for name, node in outputs.items():
        g.nodes.append(helper.make_node("Identity", [node], [name]))
    graph = helper.make_graph(
        g.nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "pieces"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "pieces"])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "pieces", width])
         for name in outputs],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return bytes(model.SerializeToString())
