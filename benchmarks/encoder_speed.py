"""How long the sentence encoder (pause/encoder.py) takes per message, in two weight layouts.

The encoder keeps each dense weight in torch's (out, in) layout and multiplies by its
transposed view (``x @ W.T``). ``InOutEncoder`` below is the same encoder with the weights
copied once into (in, out) order (``x @ W``), as it was before. Both encode the same
messages of about 1, 10 and 120 words, interleaved, and the medians are printed side by side
with the largest difference between their sentence vectors.

Reproduce: `.venv/bin/python -m benchmarks.encoder_speed --runs 5`.
"""

import argparse
import statistics
import time
from typing import Dict, List

import numpy as np

from pause.encoder import SentenceEncoder

MESSAGES = {
    "1 word": "hi",
    "10 words": "we had a great weekend and now i just want space",
    "120 words": " ".join(
        ["We have been together two years and it is mostly good, honestly."]
        + ["Then she plans something for the weekend and my chest gets tight and I go quiet."] * 6
        + ["Last night she asked if I still want this and I said I was tired, which was a lie."]
    ),
}


class InOutEncoder(SentenceEncoder):
    """The encoder with its dense weights stored (in, out): ``x @ W``."""

    def __init__(self) -> None:
        super().__init__()
        self._w = {name: np.ascontiguousarray(value.T) if name.endswith(".weight")
                   and value.ndim == 2 and "embeddings" not in name else value
                   for name, value in self._w.items()}

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[name + ".weight"] + self._w[name + ".bias"]


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
    """Print both layouts' medians over ``--runs`` interleaved runs."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs; each times 30 calls")
    args = parser.parse_args()
    encoders: Dict[str, SentenceEncoder] = {"(out, in), x @ W.T": SentenceEncoder(),
                                            "(in, out), x @ W": InOutEncoder()}
    texts = list(MESSAGES.values())
    vectors = [e.sentence_vectors(texts) for e in encoders.values()]
    print(f"largest difference between the layouts' vectors: "
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
