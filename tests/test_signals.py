"""One table per concept: every copy is checked against its one source, so a drift fails here.

* the signals: pause/signals.py against the extractor's patterns, the slot's values, the
  ``utter_signal_*`` responses, the moment rules and the labels;
* the interrupting intents: the pause_form's ``ignored_intents`` against ``COMMAND_WORDS``;
* the crisis patterns: the safety net's are the only ones (the extractor defers to them).
"""

import inspect
from pathlib import Path

import yaml

from actions.steps import COMMAND_WORDS
from actions.vocabulary import SIGNAL_LABELS
from components import signal_extractor
from components.safety_net import match_crisis
from pause import signals
from pause.domain import load_domain

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = load_domain()


def test_the_extractor_names_exactly_the_tables_signals() -> None:
    assert set(signal_extractor.SIGNALS) == set(signals.LABELS)
    assert signal_extractor.UNSPECIFIED == signals.UNSPECIFIED


def test_the_slot_takes_the_tables_signals_in_order() -> None:
    assert tuple(DOMAIN["slots"]["signal"]["values"]) == signals.SLOT_VALUES


def test_each_signal_has_its_reflection_and_no_other_exists() -> None:
    reflections = {name for name in DOMAIN["responses"] if name.startswith("utter_signal_")}
    assert reflections == {signals.reflection_response(s) for s in signals.SLOT_VALUES}


def test_each_signal_has_its_rule_as_the_table_makes_it() -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules" / "moment.yml").read_text())["rules"]
    moment = [r for r in rules if any("signal" in str(s.get("slot_was_set")) for s in r["steps"])]
    assert moment == [signals.moment_rule(s) for s in signals.SLOT_VALUES]


def test_the_labels_are_the_tables() -> None:
    assert SIGNAL_LABELS == signals.LABELS
    assert all(SIGNAL_LABELS.values())


def test_the_interrupting_intents_are_the_command_words_and_crisis() -> None:
    ignored = DOMAIN["forms"]["pause_form"]["ignored_intents"]
    assert len(ignored) == len(set(ignored))
    # crisis interrupts whatever it says; the others only with one of their words
    assert set(ignored) == set(COMMAND_WORDS) | {"crisis"}
    assert set(COMMAND_WORDS) <= set(DOMAIN["intents"])


def test_the_extractor_has_no_crisis_patterns_of_its_own() -> None:
    source = inspect.getsource(signal_extractor)
    for word in ("suicid", "kill(?:ing)? myself", "self[- ]?harm", "want(?:ed)? to die"):
        assert word not in source
    crisis = [
        "i want to kill myself",
        "everyone would be better off without me",
        "i've been cutting again and i feel trapped",
        "i'm going to end it all tonight, he never texts back",
    ]
    for text in crisis:
        assert match_crisis(text) is not None
        assert signal_extractor.detect_signal(text) is None
