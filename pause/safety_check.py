"""When an answer opens with where to find help: the soft layer under the crisis decision.

The crisis layers (components/) decide crisis on their own, each with a threshold set high
enough to keep ordinary sad or angry messages out. Below those thresholds some real crisis
messages still score: the crisis reader reads a sentence of them as fairly likely crisis, or
the classifiers give crisis a real share of their vote. Such a message keeps its intent (a
moment is still reflected, a question still answered), but the reply opens with the help line
(``utter_safety_check``: 988, findahelpline.com, the local emergency number). Both thresholds
were set on the design sets: the spent rounds, round 5, study8, dev and the first set (README,
"Safety").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, List, Mapping, Optional

from pause.intents import CHECKIN_DUE, QUESTION
from pause.intents import CRISIS as CRISIS_INTENT
from pause.intents import FALLBACK as FALLBACK_INTENT

#: The parse output's key for the reasons a message gets the help line first.
SAFETY_CHECK_KEY = "pause_safety_check"
#: The intents whose rules do not open with ``action_check_safety``: crisis gets the resources
#: themselves, and the question and fallback actions open with the line on their own.
OWN_REPLY_INTENTS = frozenset({CRISIS_INTENT, FALLBACK_INTENT, QUESTION, CHECKIN_DUE})


@dataclass(frozen=True)
class SafetyCheckThresholds:
    """A crisis reader score, or a crisis confidence, at which the help line comes first."""

    reader: float = 0.7
    confidence: float = 0.3


#: The thresholds config.yml gives the SafetyCheck component.
DEFAULT_THRESHOLDS = SafetyCheckThresholds()


def safety_check_reasons(
    intent: Optional[str],
    ranking: Iterable[Mapping[str, Any]],
    reader_score: Optional[float],
    thresholds: SafetyCheckThresholds = DEFAULT_THRESHOLDS,
) -> List[str]:
    """Why a message that is not crisis should still open with the help line (empty: no).

    Args:
        intent: The message's final intent.
        ranking: Its intent ranking (``name``, ``confidence``), the fallback included.
        reader_score: The crisis reader's highest sentence score, None when it did not read.
        thresholds: Where each reason starts.

    Returns:
        Any of "reader" (the reader's score), "confidence" (crisis's share of the vote) and
        "closest" (crisis ranked first, but too unsure to be taken: the fallback answers).
    """
    if intent == CRISIS_INTENT:
        return []
    entries = [entry for entry in ranking if entry.get("name") != FALLBACK_INTENT]
    crisis = next((float(e.get("confidence") or 0.0) for e in entries
                   if e.get("name") == CRISIS_INTENT), 0.0)
    reasons = []
    if reader_score is not None and reader_score >= thresholds.reader:
        reasons.append("reader")
    if crisis >= thresholds.confidence:
        reasons.append("confidence")
    if entries and entries[0].get("name") == CRISIS_INTENT:
        reasons.append("closest")
    return reasons
