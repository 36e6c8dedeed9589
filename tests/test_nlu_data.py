"""The training data and the held-out NLU test set: sizes, separation, the contract."""

import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from pause.crisis_reader import read_examples
from pause.domain import load_domain
from scripts.nlu_eval import BLIND_ROUNDS, OTHER_EVERYDAY, OTHER_MIXED, SPENT_ROUNDS, normal

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec" / "topics.yml"
MINIMUM_TRAINING = {"crisis": 80, "out_of_scope": 40, "share_experience": 80, "start_exercise": 40}


def examples(folder: Path) -> Dict[str, List[str]]:
    return examples_of(folder, skip="")


def examples_of(folder: Path, skip: str) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = defaultdict(list)
    for path in sorted(folder.glob("*.yml")):
        if path.name != skip:
            for intent, texts in examples_single(path).items():
                found[intent] += texts
    return found


def examples_single(path: Path) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = defaultdict(list)
    for block in yaml.safe_load(path.read_text()).get("nlu") or []:
        if "intent" in block:
            found[block["intent"]] += [
                line[2:].strip() for line in block["examples"].splitlines() if line.strip()
            ]
    return found


TRAIN = examples(ROOT / "data" / "nlu")
TEST = examples(ROOT / "tests" / "nlu")
for _intent, _texts in examples(ROOT / "tests" / "checkins_nlu").items():  # check-in intents
    TEST[_intent] += _texts
DOMAIN = load_domain()


def test_test_set_is_kept_apart_from_training() -> None:
    training = {normal(text) for texts in TRAIN.values() for text in texts}
    copied = [text for texts in TEST.values() for text in texts if normal(text) in training]
    assert copied == []


def test_no_example_is_labelled_twice() -> None:
    seen: Dict[str, str] = {}
    clashes = []
    for intent, texts in TRAIN.items():
        for text in texts:
            key = normal(text)
            if key in seen and seen[key] != intent:
                clashes.append((text, seen[key], intent))
            seen[key] = intent
    assert clashes == []


def test_every_intent_is_trained_and_tested() -> None:
    # EXTERNAL_ intents are sent through the API (the check-in scheduler), never typed.
    typed = [i for i in DOMAIN["intents"] if not i.startswith("EXTERNAL_")]
    intents = {i for i in typed if i != "faq"} | {
        i for i in TRAIN if i.startswith("faq/")
    }
    for intent in intents:
        assert len(TEST.get(intent, [])) >= 8, intent
        assert len(TRAIN.get(intent, [])) >= MINIMUM_TRAINING.get(intent, 20), intent


@pytest.mark.skipif(not SPEC.exists(), reason="../shared is not beside this checkout")
def test_the_contract_of_topics_yml() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    for key in spec["faq"]:
        assert len(TRAIN[f"faq/{key}"]) >= 25, key
        assert len(TEST[f"faq/{key}"]) >= 8, key
    assert {f"faq/{key}" for key in spec["faq"]} == {i for i in TRAIN if i.startswith("faq/")}
    for intent in spec["intents"]:
        assert intent in DOMAIN["intents"]


@pytest.mark.skipif(
    not (ROOT.parent / "shared" / "tools" / "seed_overlap.py").exists(),
    reason="../shared is not beside this checkout",
)
def test_nothing_repeats_the_article_word_for_word() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT.parent / "shared" / "tools" / "seed_overlap.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


SPENT = examples(ROOT / "tests" / "nlu_realistic")  # blind rounds 1-4, spent, regression sets
SPENT_WHOLE = [examples(ROOT / "tests" / folder) for folder, _, _ in SPENT_ROUNDS.values()]
STUDY8 = examples(ROOT / "tests" / "nlu_realistic" / "study8")  # the crisis reader's study set
DEV = examples(ROOT / "benchmarks" / "data" / "dev")


def lines(name: str) -> List[str]:
    path = ROOT / "tests" / "safety" / name
    return [line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


# The blind rounds the gate holds to the targets, with their everyday lines (BLIND_ROUNDS).
BLIND_SETS = [(examples(ROOT / "tests" / folder), lines(f"{everyday}.txt"))
              for folder, everyday, _ in BLIND_ROUNDS.values()]
EVERYDAY_SPENT = [line for name in (*OTHER_EVERYDAY,
                                    *(name for _, name, _ in SPENT_ROUNDS.values()))
                  for line in lines(f"{name}.txt")]
MIXED = [item["text"] for name in (*OTHER_MIXED,
                                   *(mixed for _, _, mixed in SPENT_ROUNDS.values()),
                                   *(mixed for _, _, mixed in BLIND_ROUNDS.values()))
         for item in yaml.safe_load((ROOT / "tests" / "mixed" / f"{name}.yml").read_text())]


def test_the_blind_sets_are_kept_out_of_training() -> None:
    training = {normal(text) for texts in TRAIN.values() for text in texts}
    training |= {normal(text) for texts in read_examples() for text in texts}  # crisis reader
    held_out = [t for texts in [*(t for blind, _ in BLIND_SETS for t in blind.values()),
                                *SPENT.values(),
                                *(t for spent in SPENT_WHOLE for t in spent.values()),
                                *STUDY8.values(),
                                *DEV.values()]
                for t in texts]
    held_out += [line for _, everyday in BLIND_SETS for line in everyday]
    held_out += EVERYDAY_SPENT + MIXED
    assert [text for text in held_out if normal(text) in training] == []


def test_the_blind_set_is_as_large_as_the_issue_asks() -> None:
    spec_keys = [f"faq/{key}" for key in yaml.safe_load(SPEC.read_text())["faq"]] if (
        SPEC.exists()) else [k for k in BLIND_SETS[0][0] if k.startswith("faq/")]
    for blind, everyday in BLIND_SETS:
        for label in [*spec_keys, "share_experience", "start_exercise", "out_of_scope"]:
            assert len(blind[label]) >= 15, label
        assert len(blind["crisis"]) >= 60
        assert len(everyday) >= 200


def test_training_has_the_size_and_shape_real_messages_have() -> None:
    """Sizes, and 40% stories of 15-50 words, not counting the near misses.

    data/nlu/near_misses.yml is a device that teaches what crisis is not (short hyperbole);
    the share of stories is a property of the intents' own examples.
    """
    minimum = {"share_experience": 300, "crisis": 250, "out_of_scope": 200}
    own = {
        intent: texts
        for intent, texts in examples_of(ROOT / "data" / "nlu", skip="near_misses.yml").items()
    }
    for intent, texts in own.items():
        if intent in minimum or intent.startswith("faq/"):
            assert len(texts) >= minimum.get(intent, 60), intent
            stories = [t for t in texts if 15 <= len(t.split()) <= 50]
            assert len(stories) >= 0.4 * len(texts), intent
