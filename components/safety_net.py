"""Deterministic crisis safety net, the last NLU component that decides an intent.

The statistical classifiers can miss a crisis message or rank it below another
intent. This component re-reads every message with curated regular expressions
and, on a match, forces the ``crisis`` intent with confidence 1.0, so nothing
earlier in the pipeline can out-vote it. Messages that do not match are left
exactly as they were. (Only components/safety_check.py runs after it, and never changes the
intent.) Everyday hyperbole ("this exam is killing me") is kept out
by narrow context guards; when in doubt, the net fires.
"""

from __future__ import annotations

import re
from pathlib import Path
from re import Pattern
from typing import Any

try:  # Rasa is optional here so that match_crisis runs (and is benchmarked) without it.
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.shared.nlu.constants import (
        INTENT,
        INTENT_NAME_KEY,
        INTENT_RANKING_KEY,
        PREDICTED_CONFIDENCE_KEY,
        TEXT,
    )
    from rasa.shared.nlu.training_data.message import Message

    from components.inference_only import InferenceOnlyComponent

    RASA_AVAILABLE = True
except ImportError:  # pragma: no cover
    RASA_AVAILABLE = False

from pause.intents import CRISIS as CRISIS_INTENT

MARKER_KEY = "safety_net"
_TABLES = Path(__file__).resolve().parent / "safety_tables"
_WINDOW = 40  # characters either side of a match that its guard looks at

# Placeholders shared by several patterns.
_FRAGMENTS = {
    "<PERSON>": r"(?:he|she|they|someone|somebody|my (?:\w+ )?(?:partner|boyfriend|girlfriend"
    r"|bf|gf|husband|hubby|wife|ex|fiance|fiancee|spouse|dad|father|mom|mum|mother|stepdad"
    r"|stepfather|stepmom|stepmum|stepmother|stepbrother|stepsister|stepson|stepdaughter"
    r"|brother|sister|uncle|aunt|grandpa|grandfather|grandson|granddaughter|grandma|grandmother"
    r"|gran|nan|nana|grandad|carer|cousin"
    r"|roommate|flatmate|parents?|son|daughter|man|guy|girl|date))",
    "<PILLS>": r"(?:pills|meds|tablets|medications?|medicine|painkillers|paracetamol|tylenol"
    r"|acetaminophen|ibuprofen|advil|xanax|antidepressants|prescription)",
    "<HURT>": r"(?:kill|hurt|beat|hit|stab|shoot|strangle|choke|rape|attack|harm)",
    "<KID>": r"(?:son|daughter|kids?|child|children|bab(?:y|ies)|sister|brother|siblings?"
    r"|toddler|stepson|stepdaughter|nephew|niece|cousin|grand\w+)",
    "<WEAPON>": r"(?:gun|knife|knives|weapon|pistol|rifle|shotgun|machete|blade)",
    "<SFX>": r"(?:e|es|ed|d|s|t|ing|ting|bed|bing|ped|ping)?",
}

# One pattern per block: "<id> <regex>"; indented lines continue the regex verbatim
# (leading spaces dropped, so a needed space at a line start is written "(?: )").
# Regexes run on the output of ``normalize`` (lower case, "do not", "i am", ...).
_PATTERN_TABLE = _TABLES.joinpath("crisis_patterns.txt").read_text()

# Context near a match of the same id that marks hyperbole, an accident or a
# relationship decision rather than danger. "on purpose" etc. overrides a guard.
_GUARD_TABLE = _TABLES.joinpath("guards.txt").read_text()


def _parse_table(table: str) -> tuple[tuple[str, str], ...]:
    """Parses an "<id> <regex>" table, expanding ``_FRAGMENTS`` placeholders."""
    entries: list[list[str]] = []
    for line in table.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[:1].isspace():
            entries[-1][1] += line.strip()
        else:
            entries.append(line.split(maxsplit=1))
    for entry in entries:
        for name, fragment in _FRAGMENTS.items():
            entry[1] = entry[1].replace(name, fragment)
    return tuple((pattern_id, regex) for pattern_id, regex in entries)


CRISIS_PATTERNS: tuple[tuple[str, str], ...] = _parse_table(_PATTERN_TABLE)
_GUARDS = dict(_parse_table(_GUARD_TABLE))
_PURPOSE = re.compile(r"\b(?:on purpose|deliberately|intentionally)\b")
_COMPILED: tuple[tuple[str, Pattern[str], Pattern[str] | None], ...] = tuple(
    (pid, re.compile(rx), re.compile(rf"(?:{_GUARDS[pid]})\b") if pid in _GUARDS else None)
    for pid, rx in CRISIS_PATTERNS
)

_REPLACEMENTS: tuple[tuple[Pattern[str], str], ...] = tuple(
    (re.compile(rx), repl)
    for rx, repl in (
        (r"[\u2018\u2019\u02bc`\u00b4]", "'"),
        (r"\bcan't\b", "can not"),
        (r"\bwon't\b", "will not"),
        (r"\bain't\b", "is not"),
        (r"n't\b", " not"),
        (r"'ll\b", " will"),
        (r"'re\b", " are"),
        (r"'ve\b", " have"),
        (r"'m\b", " am"),
        (r"'d\b", " would"),
        (r"'", ""),
        (r"[.!?;:,]+", " . "),
        (r"[^a-z0-9. ]+", " "),
        (r"([a-z])\1{2,}", r"\1"),  # "diiie" -> "die"
        (r"\b2 (die|live|be)\b", r"to \1"),
        (r"\bmy s[el]+f\b", "myself"),
        (r"\bany more\b", "anymore"),
    )
)
# Words typed without apostrophes, chat slang and common typos -> canonical form.
_SLANG = (
    "im=i am|ive=i have|id=i would|dont=do not|didnt=did not|doesnt=does not|isnt=is not"
    "|wasnt=was not|werent=were not|arent=are not|cant=can not|cannot=can not"
    "|wont=will not|couldnt=could not|wouldnt=would not|aint=is not|dnt=do not"
    "|hes=he is|shes=she is|theyre=they are|whats=what is|wanna=want to|wana=want to"
    "|gonna=going to|gona=going to|imma=i am going to|ima=i am going to|kinda=kind of"
    "|rn=right now|myslef=myself|mysef=myself|meself=myself|myselfe=myself|kil=kill"
    "|kiling=killing|nomore=no more|u=you|ur=your"
)
_WORDS = dict(pair.split("=") for pair in _SLANG.split("|"))


def normalize(text: str) -> str:
    """Lower-cases text and canonicalises contractions, slang and punctuation.

    Args:
        text: Raw user text.

    Returns:
        Single-spaced text with expanded contractions, e.g. "i am not".

    """
    text = text.lower()
    for regex, repl in _REPLACEMENTS:
        text = regex.sub(repl, text)
    return " ".join(_WORDS.get(word, word) for word in text.split())


def match_crisis(text: str) -> str | None:
    """Returns the id of the first crisis pattern that matches, or None.

    Args:
        text: Raw user text.

    Returns:
        The pattern id, or None when no pattern matches outside its guard.

    """
    norm = normalize(text or "")
    for pattern_id, regex, guard in _COMPILED:
        for found in regex.finditer(norm):
            window = norm[max(0, found.start() - _WINDOW) : found.end() + _WINDOW]
            if guard is None or not guard.search(window) or _PURPOSE.search(window):
                return pattern_id
    return None


if RASA_AVAILABLE:

    @DefaultV1Recipe.register(
        [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
    )
    class SafetyNet(InferenceOnlyComponent):
        """Forces the crisis intent whenever a curated crisis pattern matches."""

        def __init__(self, config: dict[str, Any]) -> None:
            """Stores the name of the intent to force (``crisis`` by default)."""
            super().__init__(config)
            self.intent_name: str = config.get("intent_name", CRISIS_INTENT)

        @staticmethod
        def get_default_config() -> dict[str, Any]:
            """Returns the default config: the intent forced on a match."""
            return {"intent_name": CRISIS_INTENT}

        def process(self, messages: list[Message]) -> list[Message]:
            """Forces the crisis intent on every message that matches a crisis pattern.

            Args:
                messages: Messages already classified by the earlier components.

            Returns:
                The same messages; a matching one gets the crisis intent, crisis first
                in its ranking and a ``safety_net`` marker in the parse output.

            """
            for message in messages:
                pattern_id = match_crisis(message.get(TEXT) or "")
                if pattern_id is not None:
                    force_intent(message, self.intent_name)
                    message.set(
                        MARKER_KEY, {"matched": True, "pattern": pattern_id}, add_to_output=True
                    )
            return messages

    def force_intent(message: Message, name: str) -> None:
        """Makes ``name`` the intent with confidence 1.0, first in the ranking.

        The other intents keep their order, capped at 0.5 so that no ambiguity check
        downstream (FallbackClassifier) can read the forced intent as a close call.
        """
        forced = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
        others = [
            {**entry, PREDICTED_CONFIDENCE_KEY: min(float(entry.get(PREDICTED_CONFIDENCE_KEY)
                                                          or 0.0), 0.5)}
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) != name
        ]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(forced), *others], add_to_output=True)
