"""Name the signal of a moment that no pattern names, by the nearest moment that one does.

The SignalExtractor's patterns name one of nine signals for most described moments. For the
rest (long stories, wordings the patterns never saw), the SentenceAnalyser compares the
message and each of its sentences with the training moments whose signal the patterns do
name, and takes the closest one's signal when it is close enough; otherwise the moment stays
"unspecified" and gets the general reflection.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

SIMILAR = 0.5  # cosine to the nearest named moment; below it the signal stays unspecified


def nearest_signal(
    vectors: np.ndarray, exemplars: np.ndarray, names: Sequence[str], similar: float = SIMILAR
) -> Optional[Tuple[str, float]]:
    """The signal of the exemplar closest to any of ``vectors``, and its cosine, or None."""
    if not len(vectors) or not len(exemplars):
        return None
    similarities = vectors @ exemplars.T
    row, column = np.unravel_index(int(similarities.argmax()), similarities.shape)
    best = float(similarities[row, column])
    return (str(names[int(column)]), best) if best >= similar else None
