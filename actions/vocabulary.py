"""Short labels for values that are stored as keys (signals, verdicts).

These are not messages: they fill placeholders in the domain's responses
(e.g. ``{signal_label}`` in ``utter_ask_pause_noticed`` and ``{top_signals}``
in ``utter_map``).
"""

import re
from typing import Dict

from pause.signals import LABELS

#: The signals' labels: the one table's (pause/signals.py).
SIGNAL_LABELS: Dict[str, str] = dict(LABELS)

REAL, PROTECTION, UNSURE = "real", "protection", "not sure"
_VERDICTS = (
    (UNSURE, re.compile(r"\b(not sure|unsure|don'?t know|dont know|idk|no idea|both)\b", re.I)),
    (PROTECTION, re.compile(r"\bprotect", re.I)),
    (REAL, re.compile(r"\b(real|genuine|true|signal|legit)\b", re.I)),
)


def normalize_verdict(answer: str) -> str:
    """Map a typed step-5 answer to real / protection / not sure when it says so.

    Args:
        answer: What the person wrote or tapped.

    Returns:
        One of the three verdicts, or the answer itself when it names none.

    """
    for verdict, pattern in _VERDICTS:
        if pattern.search(answer):
            return verdict
    return answer
