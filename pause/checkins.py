"""Check-ins: when to come back after a pause (pure functions, no I/O, no clock of their own).

Every function takes ``now`` (an aware datetime) so tests fix the clock. Times a
person types ("until tomorrow", "a couple of hours", "after the weekend", "tonight",
"in 20 minutes") become a due time in their time zone; quiet hours move a due time
out of the night; failed deliveries are retried with exponential back-off.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Optional, Tuple

#: Where a vague time of day lands (local time).
MORNING = time(9, 0)
EVENING = time(20, 30)
#: "Later tonight" when the evening has already begun: this long from now.
SOON = timedelta(minutes=30)

PASSED = "passed"
ACTED = "acted"
TALK = "talk"
OTHER = "other"
OUTCOMES = (PASSED, ACTED, TALK, OTHER)

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "sixty": 60,
    "few": 3, "couple": 2, "several": 4, "half an": 0.5, "half a": 0.5,
}
_UNITS = {"min": 1, "minute": 1, "hour": 60, "hr": 60, "day": 1440, "week": 10080}
_NUMBER = r"\d+(?:\.\d+)?|half an?|" + "|".join(
    sorted((k for k in _NUMBERS if not k.startswith("half")), key=len, reverse=True)
)
_DURATION = re.compile(
    rf"\b(?:(?P<n>{_NUMBER})\s+)?(?:of\s+)?(?P<unit>mins?|minutes?|hours?|hrs?|days?|weeks?)\b",
    re.I,
)
_HALF_HOUR = re.compile(r"\bhalf an? hour\b", re.I)
_AFTER_WEEKEND = re.compile(r"\b(after|end of) the weekend|monday\b", re.I)
_NEXT_WEEK = re.compile(r"\bnext week\b", re.I)
_TOMORROW_EVENING = re.compile(r"\btomorrow (evening|night)\b", re.I)
_TOMORROW = re.compile(r"\b(tomorrow|tmrw|tmr|in the morning|overnight|sleep on it)\b", re.I)
_TONIGHT = re.compile(r"\b(tonight|this evening|later today|end of the day)\b", re.I)
_NOT_AT_ALL = re.compile(r"\b(not at all|can'?t wait|no time|right now|skipped)\b", re.I)

_PASSED = re.compile(
    r"\b(it )?(passed|faded|went away|held|settled|calmer|didn'?t act|did not act|waited|"
    r"stayed|didn'?t (leave|text|send|break|end|pull))", re.I
)
_ACTED = re.compile(
    r"\b(i )?(acted|did it|sent (it|the)|broke up|ended it|left|pulled away|ghosted|went quiet)\b",
    re.I,
)
_TALK = re.compile(r"\b(talk|not sure|complicated|hard to say|mixed)\b", re.I)


def _at(day: date, when: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, when, tzinfo=tz)


def _tonight(local: datetime) -> datetime:
    evening = _at(local.date(), EVENING, local.tzinfo or timezone.utc)
    return evening if local < evening - SOON else local + SOON


def _duration(text: str) -> Optional[timedelta]:
    if _HALF_HOUR.search(text):
        return timedelta(minutes=30)
    match = _DURATION.search(text)
    if not match:
        return None
    token = (match.group("n") or "1").lower()
    count = float(_NUMBERS[token]) if token in _NUMBERS else float(token)
    unit = match.group("unit").lower().rstrip("s")
    unit = "min" if unit.startswith("min") else ("hour" if unit == "hr" else unit)
    return timedelta(minutes=count * _UNITS[unit])


def parse_due(text: Optional[str], now: datetime, tz: tzinfo) -> Optional[datetime]:
    """Read when to check in from ``text``, or None if it names no time.

    Args:
        text: What the person said (a wait answer or a reply to the offer).
        now: The current time (aware).
        tz: The person's time zone (the server's when theirs is unknown).

    Returns:
        The due time (aware, in ``tz``), or None.

    """
    if not text or _NOT_AT_ALL.search(text):
        return None
    local = now.astimezone(tz)
    if _NEXT_WEEK.search(text):
        return _at(local.date() + timedelta(days=7), MORNING, tz)
    duration = _duration(text)
    if duration is not None and duration > timedelta(0):
        return local + duration
    if _AFTER_WEEKEND.search(text):
        days = (7 - local.weekday()) % 7 or 7  # the next Monday
        return _at(local.date() + timedelta(days=days), MORNING, tz)
    if _TOMORROW_EVENING.search(text):
        return _at(local.date() + timedelta(days=1), EVENING, tz)
    if _TOMORROW.search(text):
        return _at(local.date() + timedelta(days=1), MORNING, tz)
    if _TONIGHT.search(text):
        return _tonight(local)
    return None


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (local time) in which nothing is sent; start == end means none."""

    start: time
    end: time

    @classmethod
    def parse(cls, value: str) -> "QuietHours":
        """Read ``"22:00-08:00"``; an empty value or ``"off"`` means no quiet hours."""
        if not value.strip() or value.strip().lower() in ("off", "none"):
            return cls(time(0, 0), time(0, 0))
        start, _, end = value.partition("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware; read in its own zone) falls in the window."""
        if self.start == self.end:
            return False
        clock = moment.timetz().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def next_allowed(self, moment: datetime, tz: tzinfo) -> datetime:
        """``moment`` itself, or the end of the quiet hours it falls in (local to ``tz``)."""
        local = moment.astimezone(tz)
        if not self.contains(local):
            return moment
        day = local.date()
        if self.start > self.end and local.timetz().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)  # after 22:00: the window ends tomorrow morning
        return _at(day, self.end, tz)


def backoff(attempt: int, base_seconds: float, cap_seconds: float = 3600.0) -> timedelta:
    """Wait before retry number ``attempt`` (1, 2, ...): base, 2x base, 4x base, ... capped."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1)))


def outcome_of(answer: Optional[str]) -> Tuple[str, Optional[str]]:
    """Classify a check-in answer: a button's key, or free text read for its gist.

    Returns:
        ``(outcome, words)``: one of :data:`OUTCOMES`, and the person's own words when
        they typed something (None for a tapped button).

    """
    text = (answer or "").strip()
    if text in (PASSED, ACTED, TALK):
        return text, None
    if _PASSED.search(text):
        return PASSED, text
    if _ACTED.search(text):
        return ACTED, text
    if _TALK.search(text):
        return TALK, text
    return OTHER, text


def known_zone(name: object) -> Optional[str]:
    """``name`` if it is a time zone this machine knows ("Europe/Berlin"), else None."""
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        return None
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(name)
    except (ValueError, LookupError, OSError):  # unknown or malformed names
        return None
    return name


def zone(name: Optional[str]) -> tzinfo:
    """The time zone called ``name``; the server's own when it is empty or unknown."""
    if name:
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(name)
        except (ValueError, LookupError, OSError):  # unknown or malformed names
            pass
    return datetime.now().astimezone().tzinfo or timezone.utc


def zone_label(moment: datetime) -> str:
    """A short name of ``moment``'s zone ("CET", "UTC", "+02")."""
    return moment.tzname() or "UTC"
