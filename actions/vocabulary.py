"""Short labels for values that are stored as keys (signals, verdicts).

These are not messages: they fill placeholders in the domain's responses
(e.g. ``{signal_label}`` in ``utter_ask_pause_noticed`` and ``{top_signals}``
in ``utter_map``).
"""

import re
from typing import Dict

SIGNAL_LABELS: Dict[str, str] = {
    "loss_of_interest": "a sudden loss of interest",
    "irritation": "irritation that came out of nowhere",
    "relationship_feels_wrong": "a vague sense that the relationship is wrong",
    "need_to_be_alone": "an urgent need to be alone",
    "noticing_flaws": "noticing their flaws more than usual",
    "feeling_smothered": "feeling smothered",
    "pull_to_independence": "a strong pull toward independence",
    "going_quiet": "going quiet when feelings come up",
    "urge_to_run": "an urge to run after a close moment",
}

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
