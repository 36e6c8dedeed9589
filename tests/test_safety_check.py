"""The soft crisis layer: a message that scored near crisis gets the help line first."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk.events import SlotSet

from actions.faq import ActionAnswerFaq
from actions.safety_check import ActionCheckSafety
from actions.steps import ValidatePauseForm
from components.crisis_reader import READER_SCORE_KEY
from components.safety_check import SafetyCheck
from pause.mixed_message import TOPIC_CONFIDENCE
from pause.safety_check import (
    DEFAULT_THRESHOLDS,
    OWN_REPLY_INTENTS,
    SAFETY_CHECK_KEY,
    SafetyCheckThresholds,
    safety_check_reasons,
)
from tests.conftest import make_tracker, message


def ranking(*entries: tuple[str, float]) -> List[Dict[str, Any]]:
    return [{"name": name, "confidence": confidence} for name, confidence in entries]


@pytest.mark.parametrize(
    ("intent", "entries", "score", "expected"),
    [
        ("share_experience", [("share_experience", 0.8), ("crisis", 0.1)], 0.75, ["reader"]),
        ("share_experience", [("share_experience", 0.6), ("crisis", 0.3)], 0.2, ["confidence"]),
        ("nlu_fallback", [("nlu_fallback", 0.45), ("crisis", 0.2), ("faq", 0.19)], 0.1,
         ["closest"]),
        ("nlu_fallback", [("nlu_fallback", 0.45), ("crisis", 0.4), ("faq", 0.3)], 0.8,
         ["reader", "confidence", "closest"]),
        ("faq", [("faq", 0.9), ("crisis", 0.05)], 0.69, []),
        ("nlu_fallback", [("nlu_fallback", 0.45), ("faq", 0.4), ("crisis", 0.29)], None, []),
        ("crisis", [("crisis", 1.0), ("share_experience", 0.5)], 0.99, []),
        ("greet", [], None, []),
    ],
    ids=["reader", "confidence", "closest", "all three", "below both", "crisis second, unsure",
         "crisis itself", "nothing read"],
)
def test_the_reasons_for_the_help_line(intent: str, entries: list, score: Optional[float],
                                       expected: List[str]) -> None:
    assert safety_check_reasons(intent, ranking(*entries), score) == expected


def test_the_component_uses_the_thresholds_it_is_given() -> None:
    strict = SafetyCheckThresholds(reader=0.9, confidence=0.5)
    entries = ranking(("share_experience", 0.5), ("crisis", 0.4))
    assert safety_check_reasons("share_experience", entries, 0.8, strict) == []
    component = SafetyCheck({"reader_threshold": 0.9, "confidence_threshold": 0.5})
    near = _message("i keep thinking about the bridge on my way to work", "share_experience",
                    entries, score=0.8)
    component.process([near])
    assert near.get(SAFETY_CHECK_KEY) is None


def _message(text: str, intent: str, entries: List[Dict[str, Any]],
             score: Optional[float] = None) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": entries[0]["confidence"]},
                add_to_output=True)
    message.set("intent_ranking", entries, add_to_output=True)
    if score is not None:
        message.set(READER_SCORE_KEY, score)
    return message


def test_the_component_marks_a_near_crisis_message_in_the_output() -> None:
    near = _message("lately i keep wondering if anyone would notice if i just stopped",
                    "share_experience", ranking(("share_experience", 0.7), ("crisis", 0.2)),
                    score=0.82)
    calm = _message("we had a lovely weekend and now i want to be alone", "share_experience",
                    ranking(("share_experience", 0.9), ("crisis", 0.01)), score=0.02)
    decided = _message("i want to end it", "crisis", ranking(("crisis", 1.0)), score=0.99)
    button = _message("/start_exercise", "nlu_fallback",
                      ranking(("nlu_fallback", 0.45), ("crisis", 0.4)))
    component = SafetyCheck(SafetyCheck.get_default_config())
    assert component.process([near, calm, decided, button]) == [near, calm, decided, button]
    assert near.as_dict(only_output_properties=True)[SAFETY_CHECK_KEY] == ["reader"]
    assert near.get("intent") == {"name": "share_experience", "confidence": 0.7}
    for untouched in (calm, decided, button):
        assert untouched.get(SAFETY_CHECK_KEY) is None


STORY = "we argued again and i drove the long way home thinking nobody would miss me"


@pytest.mark.parametrize("marked", [True, False], ids=["marked: help line", "not marked: silent"])
async def test_check_safety_utters_the_help_line_only_when_marked(
    dispatcher, domain, marked: bool
) -> None:
    parse = {SAFETY_CHECK_KEY: ["reader"]} if marked else {}
    tracker = make_tracker(STORY, "share_experience", **parse)
    assert await ActionCheckSafety().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == ([message("utter_safety_check")] if marked else [])


async def test_a_marked_question_gets_the_help_line_before_its_answer(dispatcher, domain) -> None:
    tracker = make_tracker(
        "the closer we get the more i feel like everyone would be lighter without me. why?",
        "faq",
        response_selector={"faq": {"response": {"intent_response_key": "faq/cost_to_self",
                                                "confidence": 0.8}, "ranking": []}},
        **{SAFETY_CHECK_KEY: ["confidence"]},
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_safety_check"),
                                   message("utter_faq/cost_to_self")]
    assert events == [SlotSet("last_topic", "cost_to_self")]


async def test_a_marked_exercise_answer_is_kept_after_the_help_line(dispatcher, domain) -> None:
    answer = "honestly that i'd be better off gone than hurting her again"
    tracker = make_tracker(answer, "share_experience", active_loop="pause_form",
                           **{SAFETY_CHECK_KEY: ["reader"]})
    result = ValidatePauseForm().validate_pause_reason(answer, dispatcher, tracker, domain)
    assert result == {"pause_reason": answer}
    assert dispatcher.messages == [message("utter_safety_check")]


def test_it_runs_last_right_after_the_safety_net() -> None:
    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yml").read_text())
    names = [step["name"] for step in config["pipeline"]]
    assert names[-2:] == ["components.safety_net.SafetyNet", "components.safety_check.SafetyCheck"]


async def test_a_marked_question_the_selector_is_unsure_of_gets_the_help_line_once(
    dispatcher, domain
) -> None:
    tracker = make_tracker(
        "i keep wondering if it would be easier for everyone if i just wasnt around",
        "faq",
        response_selector={"faq": {"response": {"intent_response_key": "faq/cost_to_self",
                                                "confidence": 0.2}, "ranking": []}},
        intent_ranking=[{"name": "faq", "confidence": 0.5}],
        **{SAFETY_CHECK_KEY: ["reader", "confidence"]},
    )
    assert await ActionAnswerFaq().run(dispatcher, tracker, domain) == []
    buttons = [
        {"title": "Try the pause exercise", "payload": "/start_exercise"},
        {"title": "Something else", "payload": "/out_of_scope"},
    ]
    assert dispatcher.messages == [message("utter_safety_check"),
                                   message("utter_suggest_topics", buttons=buttons)]


RULES = Path(__file__).resolve().parent.parent / "data" / "rules"


def test_every_rule_that_answers_a_person_opens_with_the_check() -> None:
    """After a person's message, the rule's first action is action_check_safety.

    Except for crisis (the resources themselves) and the intents whose one action opens with
    the line itself (OWN_REPLY_INTENTS).
    """
    missing = []
    for path in sorted(RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            steps = rule["steps"]
            for at, step in enumerate(steps):
                if "intent" not in step or step["intent"] in OWN_REPLY_INTENTS:
                    continue
                following = [s for s in steps[at + 1:] if "slot_was_set" not in s]
                if following and following[0].get("action") != "action_check_safety":
                    missing.append(rule["rule"])
    assert missing == []


async def test_the_help_line_is_sent_once_a_turn(dispatcher, domain) -> None:
    sent = {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_safety_check"}}
    tracker = make_tracker(STORY, "stop_exercise", after=[sent], **{SAFETY_CHECK_KEY: ["reader"]})
    assert await ActionCheckSafety().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


async def test_restored_answers_do_not_repeat_the_help_line(dispatcher, domain) -> None:
    answers = {"pause_noticed": "the urge to run", "pause_before": "she said she loves me",
               "pause_body": STORY}
    tracker = make_tracker(STORY, "share_experience", active_loop="pause_form", slots=answers,
                           **{SAFETY_CHECK_KEY: ["reader"]})
    validator = ValidatePauseForm()
    results = [validator.validate_pause_noticed(answers["pause_noticed"], dispatcher, tracker,
                                                domain),
               validator.validate_pause_before(answers["pause_before"], dispatcher, tracker,
                                               domain),
               validator.validate_pause_body(STORY, dispatcher, tracker, domain)]
    assert results == [{"pause_noticed": "the urge to run"},
                       {"pause_before": "she said she loves me"}, {"pause_body": STORY}]
    assert dispatcher.messages == [message("utter_safety_check")]


def test_config_gives_the_documented_thresholds() -> None:
    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yml").read_text())
    steps = {step["name"]: step for step in config["pipeline"]}
    check = steps["components.safety_check.SafetyCheck"]
    assert (check["reader_threshold"], check["confidence_threshold"]) == (
        DEFAULT_THRESHOLDS.reader, DEFAULT_THRESHOLDS.confidence)
    resolver = steps["components.mixed_message.MixedMessageResolver"]
    assert resolver["topic_confidence"] == TOPIC_CONFIDENCE
