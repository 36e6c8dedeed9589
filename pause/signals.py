"""The signals: one table, and the nearest named moment for a moment no pattern names.

:data:`SIGNALS` is the one list of the deactivation signals, with each one's label (what
the exercise and the map call it). Everything else that names the signals is checked
against it by tests/test_signals.py: the SignalExtractor's patterns
(components/signal_extractor.py), the ``signal`` slot's values and the ``utter_signal_*``
responses (domain/moment.yml), and one rule per signal (data/rules/moment.yml, made by
:func:`moment_rule`). ``actions/vocabulary.py``'s labels are this table's.

The SignalExtractor's patterns name one of nine signals for most described moments. For the
rest (long stories, wordings the patterns never saw), the SentenceAnalyser compares the
message and each of its sentences with the training moments whose signal the patterns do
name, and takes the closest one's signal when it is close enough; otherwise the moment stays
"unspecified" and gets the general reflection.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

UNSPECIFIED = "unspecified"  # a described moment no pattern and no neighbour names

#: (signal, label) in the domain's order; the labels fill ``{signal_label}``, ``{top_signals}``.
SIGNALS: Tuple[Tuple[str, str], ...] = (
    ("loss_of_interest", "a sudden loss of interest"),
    ("irritation", "irritation that came out of nowhere"),
    ("relationship_feels_wrong", "a vague sense that the relationship is wrong"),
    ("need_to_be_alone", "an urgent need to be alone"),
    ("noticing_flaws", "noticing their flaws more than usual"),
    ("feeling_smothered", "feeling smothered"),
    ("pull_to_independence", "a strong pull toward independence"),
    ("going_quiet", "going quiet when feelings come up"),
    ("urge_to_run", "an urge to run after a close moment"),
)
#: Every value of the ``signal`` slot: the named signals, then ``unspecified``.
SLOT_VALUES: Tuple[str, ...] = tuple(name for name, _ in SIGNALS) + (UNSPECIFIED,)
LABELS: Dict[str, str] = dict(SIGNALS)


def reflection_response(signal: str) -> str:
    """The response that reflects ``signal`` back (``utter_signal_<signal>``)."""
    return f"utter_signal_{signal}"


def moment_rule(signal: str) -> Dict[str, Any]:
    """The rule that answers a described moment naming ``signal`` (data/rules/moment.yml)."""
    title = "not recognised as a particular signal" if signal == UNSPECIFIED else signal
    return {
        "rule": f"moment - {title.replace('_', ' ')}",
        "steps": [
            {"intent": "share_experience"},
            {"slot_was_set": [{"signal": signal}]},
            {"action": "action_check_safety"},  # the help line first, when near crisis
            {"action": reflection_response(signal)},
            {"action": "action_offer_answer"},
            {"action": "utter_offer_exercise"},
        ],
    }


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
