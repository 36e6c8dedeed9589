"""A moment-and-question tie that the fallback took is read as the question with its moment."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from components.mixed_message import MixedMessageResolver
from pause.mixed_message import moment_span, reads_as_both

FALLBACK = {"name": "nlu_fallback", "confidence": 0.45}
STORY = "we had the best weekend and by tuesday i didnt want to see him. why does that happen"
QUESTION_AT = STORY.index("why")


def ranking(*entries: tuple[str, float]) -> List[Dict[str, Any]]:
    return [{"name": name, "confidence": confidence} for name, confidence in entries]


@pytest.mark.parametrize(
    ("intent", "entries", "topic", "expected"),
    [
        ("nlu_fallback", [("share_experience", 0.51), ("faq", 0.48)], 0.9, True),
        ("nlu_fallback", [("faq", 0.5), ("share_experience", 0.49)], 0.6, True),
        ("nlu_fallback", [("share_experience", 0.51), ("faq", 0.46)], 0.59, False),
        ("nlu_fallback", [("faq", 0.47), ("out_of_scope", 0.46)], 0.9, False),
        ("nlu_fallback", [("share_experience", 0.4), ("crisis", 0.38), ("faq", 0.1)], 0.9,
         False),
        ("share_experience", [("share_experience", 0.6), ("faq", 0.3)], 0.9, False),
    ],
    ids=["moment first", "question first", "unsure topic", "not a moment", "crisis second",
         "no fallback"],
)
def test_which_ties_read_as_both(intent: str, entries: list, topic: float,
                                 expected: bool) -> None:
    assert reads_as_both(intent, [FALLBACK, *ranking(*entries)], topic) is expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [({"start": QUESTION_AT, "end": len(STORY)}, (0, QUESTION_AT - 1)), (None, (0, len(STORY))),
     ({"start": 0, "end": len(STORY)}, (0, len(STORY)))],
    ids=["before the question", "no question marked", "all question"],
)
def test_the_moment_is_the_text_before_the_question(question: Optional[Dict[str, int]],
                                                    expected: tuple) -> None:
    assert moment_span(STORY, question) == expected


def _message(entries: List[Dict[str, Any]], topic: float, question: bool = True) -> Message:
    message = Message(data={"text": STORY})
    message.set("intent", dict(FALLBACK), add_to_output=True)
    message.set("intent_ranking", [dict(FALLBACK), *entries], add_to_output=True)
    message.set("response_selector", {"faq": {"response": {
        "intent_response_key": "faq/why_pull_away_when_good", "confidence": topic}}},
        add_to_output=True)
    if question:
        message.set("pause_question", {"start": QUESTION_AT, "end": len(STORY)},
                    add_to_output=True)
    return message


def test_a_tie_with_a_sure_topic_becomes_the_question_with_its_moment() -> None:
    entries = ranking(("share_experience", 0.51), ("faq", 0.47), ("crisis", 0.01))
    message = _message(entries, 0.92)
    assert MixedMessageResolver({}).process([message]) == [message]
    output = message.as_dict(only_output_properties=True)
    assert output["intent"] == {"name": "faq", "confidence": 0.47}
    assert output["intent_ranking"] == entries
    assert output["pause_moment"] == {"start": 0, "end": QUESTION_AT - 1}
    assert "pause_question" not in output


def test_other_fallbacks_are_left_as_they_were() -> None:
    unsure = _message(ranking(("share_experience", 0.51), ("faq", 0.47)), 0.4)
    other = _message(ranking(("faq", 0.47), ("out_of_scope", 0.46)), 0.9, question=False)
    before = [dict(m.data) for m in (unsure, other)]
    MixedMessageResolver({"topic_confidence": 0.6}).process([unsure, other])
    assert [m.data for m in (unsure, other)] == before


def test_it_runs_after_the_fallback_and_before_the_signals_are_named() -> None:
    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yml").read_text())
    names = [step["name"] for step in config["pipeline"]]
    at = names.index("components.mixed_message.MixedMessageResolver")
    assert names[at - 1] == "FallbackClassifier"
    assert names[at + 1] == "components.signal_extractor.SignalExtractor"
