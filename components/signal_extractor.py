"""Recognise which deactivation signal a message describes.

Deterministic: curated regexes, compiled once, case-insensitive, tolerant of
missing apostrophes and a few common typos; at most one ``signal`` entity per
message. Priority (first rule in ``_RULE_SOURCES`` that matches wins):
    urge_to_run > feeling_smothered > going_quiet > pull_to_independence >
    need_to_be_alone > noticing_flaws > irritation > relationship_feels_wrong >
    loss_of_interest, then a weak fallback ("pulling away" -> going_quiet),
i.e. the most acute, most actionable signal first and the vaguest last.
A match right after a plain negation ("i don't want to break up") is skipped,
but not after "help me not ..." / "trying not to ...". Messages that hint at a
risk to safety (the safety net's crisis patterns, components/safety_net.py, the one
source) get no signal: they belong to the crisis path. Intent is not
judged here: a question that names a signal may get one.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.safety_net import match_crisis
from pause.intents import MOMENT as MOMENT_INTENT

ENTITY_NAME = "signal"
UNSPECIFIED = "unspecified"

_NOT = r"(?:don'?t|do not|doesn'?t|didn'?t|never|not|won'?t|wouldn'?t|no longer)"
_PARTNER = (
    r"(?:him|her|them|my (?:bf|gf|boyfriend|girlfriend|partner|husband|wife|man|girl))"
)
_CONTACT = r"(?:texts?|txts?|messages?|msgs?|calls?|snaps?|dms?|chats?)"
_SOLO = r"(?:alone|single|on my own|by myself|solo)"

# fmt: off
# (signal, alternatives) in priority order; a signal may appear more than once.
_RULE_SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("urge_to_run", (
        r"\b(?:wan(?:t|na)|wanted|urge|instinct|need|tempted|ready|about|gonna|going)"
        r"\b[\w\s']{0,20}?\b(?:run(?:ning)?|bolt|flee|bail|escape|get out|leave)\b"
        r"(?! (?:\w+ )?on read)",
        r"\b(?:to|i|wanna) (?:run|bolt|flee|bail)(?: away| off)?\b(?! errands| late)",
        r"\brun(?:ning)? (?:away|for the hills)\b", r"\bbr[ae]a?k(?:ing)? ?up\b",
        r"\bend(?:ing)? (?:it|things|us|the relationship)\b(?! all)",
        r"\bcall(?:ing)? it (?:off|quits)\b", r"\bdump(?:ing)? " + _PARTNER,
        r"\b" + _NOT + r" (?:wanna|want to) be (?:together )?with " + _PARTNER,
        r"\b(?:plan\w*|plot\w*|looking for|eyeing|find\w*) (?:my |the |an )?exit\b",
        r"\bexit strategy\b", r"\bwalk(?:ing)? away\b", r"\bit'?s over\b",
        r"\bleav(?:e|ing) " + _PARTNER + r"\b(?! (?:\w+ )?on read)",
    )),
    ("feeling_smothered", (
        r"\bsmoth\w*", r"\bsuf+ocat\w*", r"\b(?:can'?t|cannot) breathe?\b",
        r"\btrap+ed\b", r"\bcaged?\b", r"\b(?:boxed|hemmed) in\b", r"\bclaustrophob\w*",
        r"\bwalls (?:are )?closing in\b", r"\bcling(?:e)?y\b", r"\bneedy\b",
        r"\blosing myself\b", r"\bswallowed\b", r"\bconsumed\b",
        r"\b(?:is|he'?s|she'?s|they'?re|it'?s|being|so|just) too much\b",
    )),
    ("going_quiet", (
        r"\bon read\b", r"\bghost\w*", r"\bignor\w* (?:him|her|them)\b",
        r"\b(?:ignor|avoid|dodg|screen)\w*\s+(?:[\w']+\s+){0,2}" + _CONTACT + r"\b",
        r"\b(?:haven'?t|havent|didn'?t|didnt|stopped|stop) (?:been )?"
        r"(?:answer|repl|respond|text|messag|call|talk)\w*",
        r"\b(?:gone|go|going|went|been|being|getting|got) (?:\w+ )?"
        r"(?:quiet|silent|distant|mute)\b",
        r"\bshut(?:ting)? (?:down|off|him out|her out)\b", r"\bclam(?:med|ming)? up\b",
        r"\bone[- ]word (?:answers?|replies|repl\w*|texts?)\b",
        r"\bmuted? (?:our|the|his|her)\b", r"\bsilent treatment\b", r"\bwithdr[ae]w\w*",
    )),
    ("pull_to_independence", (
        r"\bbetter off (?:" + _SOLO + r"|without)\b",
        r"\b(?:don'?t|dont|do not) (?:really |even )?need (?:anyone|anybody|nobody|"
        + _PARTNER + r"|a (?:partner|relationship|bf|gf|boyfriend|girlfriend))\b",
        r"\b(?:stay(?:ing)?|be|being) single\b", r"\b(?:single|solo) life\b",
        r"\bhappier " + _SOLO + r"\b", r"\bmy (?:freedom|independence)\b",
        r"\bindepend[ae]n\w*", r"\bself[- ]?relian\w*", r"\brely on myself\b",
        r"\b(?:" + _NOT + r" (?:wanna|want to) )?(?:depend|lean|rely) on "
        r"(?:anyone|anybody|someone|no ?one|" + _PARTNER + r")\b",
        r"\b" + _NOT + r" (?:wanna|want) (?:to be in )?a relationship\b",
        r"\b(?:function|do|work|am|i'?m) better " + _SOLO + r"\b",
        r"\bfine without (?:anyone|" + _PARTNER + r")\b",
        r"\brelationships? (?:aren'?t|are not|isn'?t|is not) for me\b",
    )),
    ("need_to_be_alone", (
        r"\b(?:be|being|time|night|days?|weekend|home) " + _SOLO + r"\b",
        r"\b(?:alone|me) time\b", r"\btime (?:to|for) myself\b", r"\bto myself\b",
        r"\b(?:some|more|my|own|personal|a bit of|for|need|wan(?:na|t)) space\b",
        r"\b(?:need|want|wanna|crav)\w* (?:a |some )?(?:break|breather|distance)\b",
        r"\b(?:nobody|no one|noone) around\b", r"\bleave me alone\b", r"\bhibernat\w*",
        r"\block myself\b", r"\bjust (?:need|want|wanna) to breathe?\b",
    )),
    ("noticing_flaws", (
        r"\bflaw\w*", r"\bimperfect\w*", r"\bfault\w*", r"\bnit ?pick\w*",
        r"\bpick(?:ing)? (?:apart|at)\b", r"\bcritic(?:al|i[sz]\w*)",
        r"\bjudg(?:e|ing|ed|y)\b", r"\bcringe\w*", r"\b(?:the )?ick\b", r"\bquirks?\b",
        r"\bfixat\w*", r"\bwhat'?s wrong with (?:him|her|them)\b", r"\bmental list\b",
        r"\b(?:keep|can'?t stop|started) noticing\b",
        r"\b(?:kind of|kinda|actually|so|really) (?:boring|ugly|unattractive|lame)\b",
    )),
    ("irritation", (
        r"\ban+oy\w*", r"\bir+it+a\w*", r"\birk\w*", r"\bon my nerves?\b",
        r"\bpiss\w* me off\b", r"\bgrat(?:ing|es) on me\b", r"\bbug(?:s|ging)? me\b",
        r"\bsnap+(?:ed|ing)? at\b", r"\bshort with\b", r"\bfrustrat\w*",
        r"\bresent\w*", r"\bmad at\b", r"\bagitated\b",
    )),
    ("relationship_feels_wrong", (
        r"\b(?:feels?|felt|feeling|seems?|something(?:'s| is)?)\s+"
        r"(?:[\w']+\s+){0,3}?(?:off|wrong)\b",
        r"\b(?:doesn'?t|does not|don'?t|dont|isn'?t|is not|not) "
        r"(?:feel(?:ing)? |seem(?:ing)? )?right\b(?! now| away| here| back)",
        r"\b(?:isn'?t|is not|not|aren'?t) the one\b", r"\b(?:is|was) a mistake\b",
        r"\bdoubt\w*", r"\bwe (?:don'?t|do not|dont) (?:fit|click|match|work)\b",
        r"\b(?:not compatible|incompatible)\b", r"\b(?:isn'?t|not) what i want\b",
        r"\bwrong (?:person|relationship|guy|girl|one|for me)\b",
    )),
    ("loss_of_interest", (
        r"\blost (?:all |my |any )?(?:interest|attraction|feelings?)\b",
        r"\blosing (?:interest|feelings)\b", r"\bloss of interest\b",
        r"\bnot (?:really |even )?(?:into|interested in|attracted to) "
        r"(?:him|her|them|it|this|my)\b",
        r"\bfe(?:el|lt|eling)\s+(?:literally |absolutely |just |like |so )?"
        r"(?:nothing|zero|numb|meh|empty|indifferent)\b",
        r"\b(?:don'?t|dont|do not|can'?t|cant) feel (?:anything|a thing|the same)\b",
        r"\b(?:don'?t|dont|do not|no longer|not) (?:feel|get|have)\w* (?:the |any )?"
        r"(?:butterflies|spark|excitement|attraction)\b",
        r"\bno (?:more )?(?:butterflies|spark|chemistry)\b", r"\bthe spark\b",
        r"\bnumb\b", r"\bmeh\b", r"\b(?:falling|fell) out of love\b",
        r"\b(?:feelings?|attraction|interest)\b[\w\s']{0,25}?\b(?:gone|vanished|"
        r"disappeared|switched off|faded|died|evaporated|shut off|turned off)\b",
        r"\bbarely care\b", r"\bgone (?:\w+ )?cold\b",
        r"\b(?:don'?t|dont) (?:even )?care (?:anymore|about (?:him|her|them))\b",
        r"\bnot feeling (?:it|him|her|them)\b",
    )),
    ("going_quiet", (r"\bpull(?:ing|ed)? (?:back|away)\b", r"\bdistancing myself\b")),
)
# fmt: on
SIGNALS: tuple[str, ...] = tuple(dict.fromkeys(name for name, _ in _RULE_SOURCES))

_FLAGS = re.IGNORECASE
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile("|".join(parts), _FLAGS)) for name, parts in _RULE_SOURCES
)
_NEGATED = re.compile(_NOT + r"\s+(?:[\w']+\s+){0,2}$", _FLAGS)
_URGE_BEHIND_NEGATION = re.compile(
    r"\b(?:help me|trying|try|tryna|how (?:do i|to)|so i|wanna|want to) "
    + _NOT
    + r"\s+(?:[\w']+\s+){0,2}$",
    _FLAGS,
)
def _is_negated(prefix: str) -> bool:
    """Tells whether the words just before a match negate it."""
    return bool(_NEGATED.search(prefix)) and not _URGE_BEHIND_NEGATION.search(prefix)


def detect_signal(text: str) -> tuple[str, int, int] | None:
    """Finds the deactivation signal a message describes.

    Args:
        text: The user message.

    Returns:
        ``(signal, start, end)`` for the highest-priority match, with character
        offsets into ``text``; ``None`` when there is no signal or a safety risk.

    """
    if not text:
        return None
    clean = text.replace("\u2019", "'").replace("\u2018", "'")  # same length
    if match_crisis(clean) is not None:  # the safety net's patterns: the crisis path's
        return None
    for name, pattern in _RULES:
        for match in pattern.finditer(clean):
            if not _is_negated(clean[: match.start()]):
                return name, match.start(), match.end()
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
# rasa ships no type information, so its base classes are Any to mypy.
class SignalExtractor(GraphComponent, EntityExtractorMixin):  # type: ignore[misc, unused-ignore]
    """Adds a ``signal`` entity naming the deactivation moment a message describes."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config (the component has no options)."""
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SignalExtractor:
        """Creates the component; nothing is trained or loaded."""
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        """Stores the merged config."""
        self._config = {**self.get_default_config(), **config}

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Returns the training data unchanged (nothing to learn)."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds at most one ``signal`` entity to each message.

        Args:
            messages: Messages to annotate.

        Returns:
            The same messages, with the entity appended where a signal is found.

        """
        for message in messages:
            text = message.get(TEXT) or ""
            if any(e.get(ENTITY_ATTRIBUTE_TYPE) == ENTITY_NAME for e in message.get(ENTITIES, [])):
                continue  # the SentenceAnalyser already named it, by the nearest named moment
            found = detect_signal(text)
            if found is None:
                # A described moment always names a signal, so a stale one is never reused.
                if (message.get(INTENT) or {}).get("name") != MOMENT_INTENT:
                    continue
                found = (UNSPECIFIED, 0, len(text))
            name, start, end = found
            entity: dict[str, Any] = {
                ENTITY_ATTRIBUTE_TYPE: ENTITY_NAME,
                ENTITY_ATTRIBUTE_VALUE: name,
                ENTITY_ATTRIBUTE_START: start,
                ENTITY_ATTRIBUTE_END: end,
                ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
            }
            entities = message.get(ENTITIES, []) + self.add_extractor_name([entity])
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
