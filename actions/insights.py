"""The map: patterns across a person's reflections (pure functions, no I/O).

Every phrase of the map is a response of the domain (domain/reflections.yml,
``utter_map_*``); :class:`Phrases` fills them in from the domain the action server gets.
"""

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from actions.vocabulary import PROTECTION, REAL, SIGNAL_LABELS, UNSURE
from pause.checkins import PASSED
from pause.repository import Reflection

TOP = 3
NOT_YET = "utter_map_not_enough_yet"
_SKIPPED = {"", "skipped"}


class Phrases:
    """The map's phrases: the first text of each ``utter_map_*`` response, filled in."""

    def __init__(self, domain: Mapping[str, Any]) -> None:
        self._responses = domain.get("responses") or {}

    def __call__(self, response: str, **values: Any) -> str:
        """The text of ``response`` with ``{name}`` replaced by ``values[name]``."""
        return str(self._responses[response][0]["text"]).format(**values)


LOVING_WORDS = "utter_map_trigger_loving_words"
GOOD_TIME = "utter_map_trigger_good_time"

#: (response of the label, pattern) pairs that group free-text answers; first match wins.
TRIGGER_GROUPS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = (
    (LOVING_WORDS, re.compile(r"\b(love|loving|miss(ed)? me|compliment|sweet)", re.I)),
    (
        "utter_map_trigger_future",
        re.compile(
            r"\b(future|move in|moving in|marr|engage|commit|parents|holiday|vacation|plans?)\b",
            re.I,
        ),
    ),
    (
        GOOD_TIME,
        re.compile(
            r"\b(weekend|date|good time|great time|close|intimate|cuddl|sex|night together|trip)",
            re.I,
        ),
    ),
    (
        "utter_map_trigger_request",
        re.compile(r"\b(ask(ed)?|want(s|ed)? me|need(s|ed)?|request|text(ed)?|call(ed)?)\b", re.I),
    ),
    (
        "utter_map_trigger_conflict",
        re.compile(r"\b(fight|argu|conflict|upset|critici|angry)", re.I),
    ),
)
REASON_GROUPS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = (
    ("utter_map_reason_too_much", re.compile(r"\b(too much|needy|clingy|intense|demanding)", re.I)),
    (
        "utter_map_reason_feels_off",
        re.compile(r"\b(off|not right|wrong|doesn'?t fit|not the one)\b", re.I),
    ),
    ("utter_map_reason_space", re.compile(r"\b(space|alone|breathe|time to myself|room)\b", re.I)),
    (
        "utter_map_reason_not_into_it",
        re.compile(
            r"\b(not (that )?(into|interested)|lost interest|bored|no spark|don'?t feel)", re.I
        ),
    ),
    (
        "utter_map_reason_flaws",
        re.compile(r"\b(annoying|flaw|irritat|the way (he|she|they))", re.I),
    ),
    ("utter_map_reason_no_one_needed", re.compile(r"\b(independen|freedom|free|on my own)", re.I)),
)

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "few": 3,
    "couple": 2,
    "several": 4,
    "ten": 10,
    "twenty": 20,
    "thirty": 30,
}
_UNIT_MINUTES = {
    "min": 1,
    "minute": 1,
    "hour": 60,
    "hr": 60,
    "day": 1440,
    "night": 720,
    "week": 10080,
}
_DURATION = re.compile(
    r"\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|few|couple|several|ten|twenty|thirty)?"
    r"\s*(?:of\s+)?(min(?:ute)?s?|hours?|hrs?|days?|nights?|weeks?)\b",
    re.I,
)
_FIXED = (
    (re.compile(r"\b(tonight|this evening)\b", re.I), 360.0),
    (re.compile(r"\btomorrow\b", re.I), 1440.0),
    (re.compile(r"\b(not at all|can'?t wait|no time|right now)\b", re.I), 0.0),
)


@dataclass(frozen=True)
class MapSummary:
    """What ``utter_map`` shows."""

    reflection_count: int
    top_signals: str
    top_triggers: str
    top_reasons: str
    verdict_split: str
    wait_summary: str
    outcome_summary: str
    protection_share: float
    closeness_share: float


def _group(answer: str, groups: Sequence[Tuple[str, "re.Pattern[str]"]]) -> Tuple[str, bool]:
    """The response naming the answer's group (and True), else the answer itself (False)."""
    for response, pattern in groups:
        if pattern.search(answer):
            return response, True
    return answer.strip().lower()[:60], False


def _top(values: Iterable[str], say: Phrases) -> str:
    counts = Counter(v for v in values if v)
    if not counts:
        return say(NOT_YET)
    return ", ".join(
        say("utter_map_count", label=label, count=n) for label, n in counts.most_common(TOP)
    )


def _labels(grouped: Iterable[Tuple[str, bool]], say: Phrases) -> List[str]:
    return [say(value) if named else value for value, named in grouped]


def wait_minutes(answer: str) -> Optional[float]:
    """Read a waiting time such as "an hour", "2 days" or "until tonight" in minutes."""
    match = _DURATION.search(answer)
    if match:
        token = (match.group(1) or "1").lower()
        count = float(_NUMBER_WORDS[token]) if token in _NUMBER_WORDS else float(token)
        unit = match.group(2).lower().rstrip("s")
        unit = "min" if unit.startswith("min") else ("hour" if unit == "hr" else unit)
        return count * _UNIT_MINUTES[unit]
    for pattern, minutes in _FIXED:
        if pattern.search(answer):
            return minutes
    return None


def describe_minutes(minutes: float, say: Phrases) -> str:
    """Say a number of minutes the way a person would."""
    if minutes < 60:
        return say("utter_map_minutes", count=round(minutes))
    if minutes < 1440:
        hours = round(minutes / 60, 1)
        return say("utter_map_hour" if hours == 1 else "utter_map_hours", count=f"{hours:g}")
    days = round(minutes / 1440, 1)
    return say("utter_map_day" if days == 1 else "utter_map_days", count=f"{days:g}")


def _answers(reflections: Sequence[Reflection], step: str) -> List[str]:
    return [a for r in reflections if (a := (r.answer(step) or "").strip()) not in _SKIPPED]


def build_map(reflections: Sequence[Reflection], say: Phrases) -> MapSummary:
    """Aggregate ``reflections`` into the figures the map shows.

    Args:
        reflections: One person's reflections (finished and unfinished).
        say: The domain's phrases.

    Returns:
        The summary; parts with no answers yet read "not enough yet".

    """
    signals = [
        SIGNAL_LABELS.get(r.signal or "") or (r.answer("noticed") or "").strip().lower()
        for r in reflections
    ]
    grouped = [_group(a, TRIGGER_GROUPS) for a in _answers(reflections, "before")]
    triggers = _labels(grouped, say)
    reasons = _labels((_group(a, REASON_GROUPS) for a in _answers(reflections, "reason")), say)
    verdicts = Counter(_answers(reflections, "verdict"))
    named = verdicts[PROTECTION] + verdicts[REAL] + verdicts[UNSURE]
    split = (
        say(
            "utter_map_verdicts",
            protection=verdicts[PROTECTION],
            real=verdicts[REAL],
            unsure=verdicts[UNSURE],
        )
        if named
        else say(NOT_YET)
    )
    waits = [m for a in _answers(reflections, "wait") if (m := wait_minutes(a)) is not None]
    wait = (
        say(
            "utter_map_wait",
            usual=describe_minutes(statistics.median(waits), say),
            longest=describe_minutes(max(waits), say),
        )
        if waits
        else say(NOT_YET)
    )
    closeness = sum(named and value in (LOVING_WORDS, GOOD_TIME) for value, named in grouped)
    outcome = outcome_summary(reflections, say)
    return MapSummary(
        reflection_count=len(reflections),
        top_signals=_top(signals, say),
        top_triggers=_top(triggers, say),
        top_reasons=_top(reasons, say),
        verdict_split=split,
        wait_summary=wait,
        outcome_summary=outcome,
        protection_share=verdicts[PROTECTION] / named if named else 0.0,
        closeness_share=closeness / len(grouped) if grouped else 0.0,
    )


def outcome_summary(reflections: Sequence[Reflection], say: Phrases) -> str:
    """How the pauses went after the check-ins: how many passed, the longest wait held.

    A pause that passed held from the reflection until the check-in's answer.
    """
    told = [r for r in reflections if r.outcome]
    if not told:
        return say(NOT_YET)
    passed = [r for r in told if r.outcome == PASSED]
    held = [(r.outcome_at - r.created_at).total_seconds() / 60 for r in passed if r.outcome_at]
    if held:
        return say(
            "utter_map_outcome_held",
            passed=len(passed),
            told=len(told),
            held=describe_minutes(max(held), say),
        )
    return say("utter_map_outcome", passed=len(passed), told=len(told))


def observation_response(summary: MapSummary) -> str:
    """Pick the gentle observation that fits the map best."""
    if summary.protection_share >= 0.5:
        return "utter_map_observation_protection"
    if summary.closeness_share >= 0.5:
        return "utter_map_observation_closeness"
    return "utter_map_observation_general"
