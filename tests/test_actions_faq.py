"""Answers, follow-ups and topic suggestions."""

from typing import Any, Dict, List

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions.fallback import ActionDefaultAskAffirmation
from actions.faq import ActionAnswerFaq, ActionFollowUp, ActionOfferAnswer
from actions.topics import FOLLOW_UPS, button_titles, faq_payload, topic_from_payload
from tests.conftest import make_tracker, message


def selector(key: str, confidence: float, ranking: List[str] = ()) -> Dict[str, Any]:
    return {
        "faq": {
            "response": {"intent_response_key": f"faq/{key}", "confidence": confidence},
            "ranking": [{"intent_response_key": f"faq/{k}", "confidence": 0.1} for k in ranking],
        }
    }


async def test_answers_the_selected_topic(dispatcher, domain) -> None:
    tracker = make_tracker(
        "why do i pull away after a great weekend?",
        "faq",
        response_selector=selector("why_pull_away_when_good", 0.93),
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_faq/why_pull_away_when_good")]
    assert events == [SlotSet("last_topic", "why_pull_away_when_good")]


async def test_a_button_topic_wins_over_the_selector(dispatcher, domain) -> None:
    tracker = make_tracker(
        '/faq{"topic": "triggers"}', "faq", entities=[{"entity": "topic", "value": "triggers"}]
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_faq/triggers")]
    assert events == [SlotSet("last_topic", "triggers")]


async def test_low_confidence_suggests_the_closest_topics(dispatcher, domain) -> None:
    tracker = make_tracker(
        "hmm attachment thing",
        "faq",
        response_selector=selector("triggers", 0.2, ["triggers", "nervous_system", "deactivation"]),
        intent_ranking=[{"name": "faq", "confidence": 0.5}],
    )
    assert await ActionAnswerFaq().run(dispatcher, tracker, domain) == []
    buttons = [
        {"title": "What sets them off?", "payload": faq_payload("triggers")},
        {"title": "What happens in my body?", "payload": faq_payload("nervous_system")},
        {"title": "What does deactivation mean?", "payload": faq_payload("deactivation")},
        {"title": "Try the pause exercise", "payload": "/start_exercise"},
        {"title": "Something else", "payload": "/out_of_scope"},
    ]
    assert dispatcher.messages == [message("utter_suggest_topics", buttons=buttons)]


async def test_mid_exercise_a_statement_is_the_steps_answer(dispatcher, domain) -> None:
    tracker = make_tracker(
        "i noticed i was pulling away",
        "faq",
        active_loop="pause_form",
        slots={"requested_slot": "pause_noticed"},
        response_selector=selector("inside_view", 0.8),
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert events == [
        SlotSet("pause_noticed", "i noticed i was pulling away"),
        FollowupAction("pause_form"),
    ]
    assert dispatcher.messages == []


async def test_mid_exercise_a_question_is_answered(dispatcher, domain) -> None:
    tracker = make_tracker(
        "what is deactivation?",
        "faq",
        active_loop="pause_form",
        slots={"requested_slot": "pause_body"},
        response_selector=selector("deactivation", 0.9),
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_faq/deactivation")]
    assert events == [SlotSet("last_topic", "deactivation")]


async def test_tell_me_more_follows_the_last_topic(dispatcher, domain) -> None:
    tracker = make_tracker("tell me more", "ask_more", slots={"last_topic": "deactivation"})
    events = await ActionFollowUp().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_faq/deactivating_strategies")]
    assert events == [SlotSet("last_topic", "deactivating_strategies")]


async def test_why_follows_the_last_topic(dispatcher, domain) -> None:
    tracker = make_tracker("why?", "ask_why", slots={"last_topic": "why_pull_away_when_good"})
    events = await ActionFollowUp().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_faq/nervous_system")]
    assert events == [SlotSet("last_topic", "nervous_system")]


async def test_follow_up_after_a_moment_explains_the_inside_view(dispatcher, domain) -> None:
    bot = {"event": "bot", "text": "...", "metadata": {"utter_action": "utter_offer_exercise"}}
    tracker = make_tracker("why?", "ask_why", slots={"last_topic": "triggers"}, events=[bot])
    events = await ActionFollowUp().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_faq/inside_view")]
    assert events == [SlotSet("last_topic", "inside_view")]


async def test_follow_up_without_a_topic_asks_where_to_go(dispatcher, domain) -> None:
    tracker = make_tracker("tell me more", "ask_more")
    assert await ActionFollowUp().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_no_follow_up")]


async def test_ask_affirmation_offers_topics_and_intents(dispatcher, domain) -> None:
    tracker = make_tracker(
        "blah",
        "nlu_fallback",
        intent_ranking=[
            {"name": "nlu_fallback", "confidence": 0.45},
            {"name": "start_exercise", "confidence": 0.3},
            {"name": "faq", "confidence": 0.2},
        ],
        response_selector=selector("what_helps", 0.5, ["what_helps", "can_it_change"]),
    )
    assert await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain) == []
    buttons = [
        {"title": "Try the pause exercise", "payload": "/start_exercise"},
        {"title": "What actually helps?", "payload": faq_payload("what_helps")},
        {"title": "Can it change?", "payload": faq_payload("can_it_change")},
        {"title": "Something else", "payload": "/out_of_scope"},
    ]
    assert dispatcher.messages == [message("utter_suggest_topics", buttons=buttons)]


@pytest.mark.parametrize("marked", [True, False],
                         ids=["near crisis: help first", "not near crisis: no help line"])
async def test_a_fallback_gives_help_first_when_the_message_scored_near_crisis(
    dispatcher, domain, marked: bool
) -> None:
    near = {"pause_safety_check": ["closest"]} if marked else {}
    tracker = make_tracker(
        "deleting my accounts one by one and leaving my passwords for my brother",
        "nlu_fallback",
        intent_ranking=[
            {"name": "nlu_fallback", "confidence": 0.45},
            {"name": "crisis", "confidence": 0.41},
            {"name": "start_exercise", "confidence": 0.3},
        ],
        **near,
    )
    assert await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain) == []
    buttons = [
        {"title": "Try the pause exercise", "payload": "/start_exercise"},
        {"title": "Something else", "payload": "/out_of_scope"},
    ]
    suggestions = message("utter_suggest_topics", buttons=buttons)
    assert dispatcher.messages == (
        [message("utter_safety_check"), suggestions] if marked else [suggestions]
    )


def test_every_topic_has_a_title_and_follow_ups(domain) -> None:
    titles = button_titles(domain)
    for topic, nexts in FOLLOW_UPS.items():
        assert faq_payload(topic) in titles, topic
        assert f"utter_faq/{topic}" in domain["responses"]
        assert set(nexts.values()) <= set(FOLLOW_UPS)


def test_payload_round_trip() -> None:
    assert topic_from_payload('/faq{"topic": "triggers"}') == "triggers"
    assert topic_from_payload(faq_payload("cost_to_self")) == "cost_to_self"
    assert topic_from_payload("/faq") is None and topic_from_payload("/faq{bad") is None


async def test_a_question_that_also_tells_a_moment_gets_both(dispatcher, domain) -> None:
    text = "we had the best weekend and now i cant stand her. why do i do this?"
    tracker = make_tracker(
        text,
        "faq",
        response_selector=selector("why_pull_away_when_good", 0.8),
        pause_moment={"start": 0, "end": 47},
        entities=[{"entity": "signal", "value": "irritation"}],
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [
        message("utter_signal_irritation"),
        message("utter_faq/why_pull_away_when_good"),
        message("utter_offer_exercise"),
    ]
    assert events == [
        SlotSet("last_topic", "why_pull_away_when_good"),
        SlotSet("signal", "irritation"),
    ]


async def test_mid_exercise_a_question_with_a_moment_is_only_answered(dispatcher, domain) -> None:
    text = "we had the best weekend and now i cant stand her. why do i do this?"
    tracker = make_tracker(
        text,
        "faq",
        active_loop="pause_form",
        slots={"requested_slot": "pause_body"},
        response_selector=selector("why_pull_away_when_good", 0.8),
        pause_moment={"start": 0, "end": 47},
        entities=[{"entity": "signal", "value": "irritation"}],
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_faq/why_pull_away_when_good")]
    assert events == [SlotSet("last_topic", "why_pull_away_when_good")]


async def test_a_moment_without_a_named_signal_is_still_reflected(dispatcher, domain) -> None:
    tracker = make_tracker(
        "things got serious and something in me went cold. is that normal",
        "faq",
        response_selector=selector("triggers", 0.2, ["triggers", "inside_view"]),
        pause_moment={"start": 0, "end": 48},
        intent_ranking=[{"name": "faq", "confidence": 0.6}],
    )
    events = await ActionAnswerFaq().run(dispatcher, tracker, domain)
    buttons = [
        {"title": "What sets them off?", "payload": faq_payload("triggers")},
        {"title": "Why does it feel like clarity?", "payload": faq_payload("inside_view")},
        {"title": "Try the pause exercise", "payload": "/start_exercise"},
        {"title": "Something else", "payload": "/out_of_scope"},
    ]
    assert dispatcher.messages == [
        message("utter_signal_unspecified"),
        message("utter_suggest_topics", buttons=buttons),
        message("utter_offer_exercise"),
    ]
    assert events == [SlotSet("signal", "unspecified")]


def moment_with(text: str, confidence: float, asks: bool):  # type: ignore[no-untyped-def]
    question = {"pause_question": {"start": text.index(".") + 2, "end": len(text)}} if asks else {}
    return make_tracker(text, "share_experience",
                        response_selector=selector("why_pull_away_when_good", confidence),
                        **question)


async def test_a_moment_that_asks_something_is_offered_the_answer(dispatcher, domain) -> None:
    tracker = moment_with("we had a lovely week and now i cant bear him. why does it happen?", 0.7,
                          asks=True)
    assert await ActionOfferAnswer().run(dispatcher, tracker, domain) == []
    payload = faq_payload("why_pull_away_when_good")
    buttons = [{"title": button_titles(domain)[payload], "payload": payload}]
    assert dispatcher.messages == [message("utter_offer_answer", buttons=buttons)]


@pytest.mark.parametrize("confidence, asks", [(0.7, False), (0.2, True)],
                         ids=["no question", "unsure of the topic"])
async def test_no_answer_is_offered_without_a_question_or_a_sure_topic(
    dispatcher, domain, confidence: float, asks: bool
) -> None:
    tracker = moment_with("she moved her things in and i went quiet. is that a thing", confidence,
                          asks)
    assert await ActionOfferAnswer().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []
