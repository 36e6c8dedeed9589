"""Tests for the deterministic deactivation-signal extractor."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.signal_extractor import SIGNALS, SignalExtractor, detect_signal

ROOT = Path(__file__).resolve().parent.parent
EXPERIENCE_FILES = (ROOT / "data/nlu/experience.yml", ROOT / "tests/nlu/experience.yml")
MIN_COVERAGE = 0.85

# Hand-labelled: (message, expected signal). The first three of each block are
# the held-out examples from tests/nlu/experience.yml (going_quiet has two).
LABELLED: list[tuple[str, str]] = [
    ("woke up today and my feelings for her are just gone", "loss_of_interest"),
    (
        "not feeling it with him anymore and we were so good on friday",
        "loss_of_interest",
    ),
    (
        "lost my attraction to my gf out of nowhere after she moved closer",
        "loss_of_interest",
    ),
    ("i dont feel anything for him since the wedding", "loss_of_interest"),
    ("he's being lovely and im lowkey annoyed by all of it", "irritation"),
    ("everything she texts me is irritating me since our getaway", "irritation"),
    ("weirdly irritated with him tonight, he only asked about my day", "irritation"),
    ("ugh my bf is getting on my nerves and he did nothing", "irritation"),
    (
        "this relationship suddenly feels off and i can't explain it",
        "relationship_feels_wrong",
    ),
    (
        "she brought up marriage and now it just doesn't feel right with her",
        "relationship_feels_wrong",
    ),
    (
        "idk something about us seems wrong since the holidays",
        "relationship_feels_wrong",
    ),
    ("maybe hes not the one, we were so happy last week", "relationship_feels_wrong"),
    ("after our trip i just need to be alone for a while", "need_to_be_alone"),
    (
        "desperate for some space after spending the week at his place",
        "need_to_be_alone",
    ),
    (
        "i want the whole weekend to myself and she wants to hang out",
        "need_to_be_alone",
    ),
    ("i really need some me time after meeting her parents", "need_to_be_alone"),
    ("i can't stop noticing his flaws since he told me he loves me", "noticing_flaws"),
    (
        "everything about her looks flawed to me now, her style, her jokes",
        "noticing_flaws",
    ),
    ("been super critical of him since we got close", "noticing_flaws"),
    ("got the ick from the way he laughs after our best night", "noticing_flaws"),
    (
        "she wants us together every single night and it's suffocating me",
        "feeling_smothered",
    ),
    ("i feel so smothered since she started staying over", "feeling_smothered"),
    ("he wants to move in and i feel so trapped rn", "feeling_smothered"),
    ("honestly i'm better off single, i don't need a partner", "pull_to_independence"),
    (
        "i just want my independence back, we've only been dating 2 months",
        "pull_to_independence",
    ),
    ("i'd rather do life alone than depend on him", "pull_to_independence"),
    (
        "i dont want to rely on anyone, i'm fine on my own, always was",
        "pull_to_independence",
    ),
    ("i've been ignoring her texts since our amazing night", "going_quiet"),
    ("went completely silent on him after he opened up", "going_quiet"),
    ("left him on read after he said he misses me", "going_quiet"),
    ("he told me he loves me and i want to leave him", "urge_to_run"),
    ("great weekend with her and now i'm thinking of breaking up", "urge_to_run"),
    ("after our first i love you i just wanna run", "urge_to_run"),
    ("i dont want to be with her anymore and the weekend was perfect", "urge_to_run"),
]

NOT_MOMENTS = [
    "hi",
    "hello there",
    "thanks",
    "what is avoidant attachment",
    "avoidant attachment?",
    "is avoidant attachment the same as being introverted",
    "whats the difference between dismissive and fearful avoidant",
    "can avoidant attachment change",
    "what's the weather like tomorrow",
    "show my reflections",
    "start the exercise",
    "not now",
    "not right now",
    "skip",
    "i don't want to break up, i love her",
    "i don't feel trapped at all with him",
    "i don't want to be here anymore",
    "i want to end it all",
    "everyone would be better off without me",
    "after the breakup i keep thinking i should just end it",
    "",
]


def _share_experience_examples() -> list[str]:
    """Reads every share_experience example from the train and held-out files."""
    examples: list[str] = []
    for path in EXPERIENCE_FILES:
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if block.get("intent") == "share_experience":
                examples += [
                    line.strip()[2:].strip()
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
    return examples


def test_coverage_of_share_experience_examples() -> None:
    """Most described moments get some signal: from the patterns, else the nearest named one.

    The fallback is the SentenceAnalyser's (pause/signals.py): the signal of the closest
    moment that the patterns do name. Its exemplars here, as in training, are the examples
    the patterns name, so a moment they miss is never its own neighbour.
    """
    from pause.encoder import shared_encoder
    from pause.signals import nearest_signal

    examples = _share_experience_examples()
    named = [(text, detect_signal(text)) for text in examples]
    exemplars = [(text, found[0]) for text, found in named if found is not None]
    unnamed = [text for text, found in named if found is None]
    encoder = shared_encoder()
    vectors = encoder.sentence_vectors([text for text, _ in exemplars])
    signals = [signal for _, signal in exemplars]
    missed = [
        text
        for text, vector in zip(unnamed, encoder.sentence_vectors(unnamed), strict=True)
        if nearest_signal(vector[None, :], vectors, signals) is None
    ]
    for text in missed:
        print(f"no signal: {text}")
    coverage = 1 - len(missed) / len(examples)
    hits = len(examples) - len(missed)
    print(f"signal coverage: {hits}/{len(examples)} = {coverage:.1%}")
    assert len(examples) >= 100
    assert coverage >= MIN_COVERAGE


def test_labelled_table_covers_every_signal() -> None:
    """The hand-labelled table has at least three examples per signal."""
    for signal in SIGNALS:
        assert sum(1 for _, label in LABELLED if label == signal) >= 3, signal


@pytest.mark.parametrize("text,expected", LABELLED)
def test_right_signal(text: str, expected: str) -> None:
    """Hand-labelled messages get the right signal and a valid span."""
    found = detect_signal(text)
    assert found is not None, text
    name, start, end = found
    assert name == expected, f"{text!r}: got {name} from {text[start:end]!r}"
    assert 0 <= start < end <= len(text)


@pytest.mark.parametrize("text", NOT_MOMENTS)
def test_no_signal_for_other_messages(text: str) -> None:
    """Questions, commands, negations and safety risks get no signal."""
    assert detect_signal(text) is None


def test_priority_picks_the_most_acute_signal() -> None:
    """When several signals match, the documented priority decides."""
    found: tuple[str, int, int] | None = detect_signal(
        "i need space and honestly i want to break up"
    )
    assert found is not None and found[0] == "urge_to_run"


def test_curly_apostrophes_and_typos() -> None:
    """Curly quotes and common misspellings still match."""
    assert detect_signal("i can\u2019t breathe when she calls every hour") is not None
    assert detect_signal("he is so anoying today") == ("irritation", 9, 16)


@pytest.fixture
def extractor(tmp_path: Path) -> SignalExtractor:
    """Builds the component the way the graph does."""
    return SignalExtractor.create(
        SignalExtractor.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("signal_extractor"),
        ExecutionContext(GraphSchema({})),
    )


def test_process_adds_entity_to_message(extractor: SignalExtractor) -> None:
    """process() appends exactly one signal entity to a rasa Message."""
    text = "we had a great weekend and now i just want to be alone"
    message = Message(data={TEXT: text})
    extractor.process([message])
    entities = message.get(ENTITIES)
    assert len(entities) == 1
    entity = entities[0]
    assert entity["entity"] == "signal"
    assert entity["value"] == "need_to_be_alone"
    assert entity["confidence_entity"] == 1.0
    assert entity["extractor"] == "SignalExtractor"
    assert text[entity["start"] : entity["end"]] == "be alone"


def test_process_keeps_other_entities_and_skips_non_moments(
    extractor: SignalExtractor,
) -> None:
    """Existing entities are kept; messages without a moment are left alone."""
    other = {"entity": "x", "value": "y", "start": 0, "end": 1}
    moment = Message(data={TEXT: "left her on read again", ENTITIES: [other]})
    plain = Message(data={TEXT: "hi"})
    extractor.process([moment, plain])
    assert [e["entity"] for e in moment.get(ENTITIES)] == ["x", "signal"]
    assert not plain.get(ENTITIES)


def test_process_training_data_is_unchanged(extractor: SignalExtractor) -> None:
    """Training data passes through untouched."""
    data = TrainingData([Message(data={TEXT: "left her on read"})])
    assert extractor.process_training_data(data) is data
