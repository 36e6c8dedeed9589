"""How long the sentence encoder (pause/encoder.py) takes per message: onnxruntime and numpy.

The encoder runs an ONNX graph of all-MiniLM-L6-v2 with onnxruntime on one thread.
``NumpyEncoder`` below is the same encoder with the plain numpy forward pass of
tests/encoder_reference.py (one BLAS thread, weights in torch's (out, in) layout), as it was
before. Both encode the same messages of about 1, 10 and 120 words, interleaved; the medians
are printed side by side with the largest difference between their sentence vectors.

Reproduce: `.venv/bin/python -m benchmarks.encoder_speed --runs 5`.
"""

import argparse
import statistics
import time
from typing import Dict, List

import numpy as np

from pause.encoder import SentenceEncoder
from tests.encoder_reference import NumpyForward

MESSAGES = {
    "1 word": "hi",
    "10 words": "we had a great weekend and now i just want space",
    "120 words": " ".join(
        ["We have been together two years and it is mostly good, honestly."]
        + ["Then she plans something for the weekend and my chest gets tight and I go quiet."] * 6
        + ["Last night she asked if I still want this and I said I was tired, which was a lie."]
    ),
}


class NumpyEncoder(SentenceEncoder):
    """The encoder with the numpy forward pass instead of onnxruntime."""

    def __init__(self) -> None:
        super().__init__()
        self._numpy = NumpyForward()

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self._numpy(ids, mask)


def median_ms(encoder: SentenceEncoder, text: str, repeat: int = 30) -> float:
    """Median wall time of one ``encode`` of ``text``, in milliseconds, after a warm-up."""
    encoder.encode([text])
    times: List[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        encoder.encode([text])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    """Print both encoders' medians over ``--runs`` interleaved runs."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs; each times 30 calls")
    args = parser.parse_args()
    encoders: Dict[str, SentenceEncoder] = {"onnxruntime": SentenceEncoder(),
                                            "numpy": NumpyEncoder()}
    texts = list(MESSAGES.values())
    vectors = [e.sentence_vectors(texts) for e in encoders.values()]
    print(f"largest difference between their sentence vectors: "
          f"{float(np.abs(vectors[0] - vectors[1]).max()):.2e}")
    for label, text in MESSAGES.items():
        runs: Dict[str, List[float]] = {name: [] for name in encoders}
        for _ in range(args.runs):
            for name, encoder in encoders.items():
                runs[name].append(median_ms(encoder, text))
        figures = ", ".join(f"{n} {statistics.median(r):6.2f} ms" for n, r in runs.items())
        print(f"encode, {label:>9}: {figures}")


if __name__ == "__main__":
    main()
