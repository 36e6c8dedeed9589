"""End to end over the REST webhook and the HTTP API, against the running servers."""

from typing import Any, Dict, List

import pytest

pytestmark = pytest.mark.e2e


def texts(replies: List[Dict[str, Any]]) -> List[str]:
    return [reply.get("text", "") for reply in replies]


def joined(replies: List[Dict[str, Any]]) -> str:
    """The REST channel sends each paragraph of a message without buttons separately."""
    return "\n\n".join(texts(replies))


def first_text(responses: Dict[str, Any], name: str) -> str:
    return responses[name][0]["text"]


def test_answers_why_i_pull_away_after_a_great_weekend(assistant, sender, responses) -> None:
    replies = assistant.say(sender, "why do I pull away after a great weekend?")
    assert texts(replies) == [first_text(responses, "utter_faq/why_pull_away_when_good")]
    titles = [b["title"] for b in replies[0]["buttons"]]
    assert "Try the pause exercise" in titles


def test_a_topic_button_and_a_follow_up(assistant, sender, responses) -> None:
    replies = assistant.say(sender, '/faq{"topic": "deactivation"}')
    assert texts(replies) == [first_text(responses, "utter_faq/deactivation")]
    replies = assistant.say(sender, "tell me more")
    assert texts(replies) == [first_text(responses, "utter_faq/deactivating_strategies")]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what is avoidant attachment in simple terms", "faq"),
        ("we had a great weekend and now I just want to be alone", "share_experience"),
        ("I want to pull away right now, help me pause", "start_exercise"),
        ("I don't want to be here anymore", "crisis"),
        ("what's the weather like in paris", "out_of_scope"),
    ],
)
def test_model_parse_predicts_the_contract_names(assistant, text, intent) -> None:
    assert assistant.parse(text)["intent"]["name"] == intent


def test_model_parse_gives_the_full_retrieval_intent(assistant) -> None:
    parsed = assistant.parse("why do avoidants go cold when things are going well?")
    key = parsed["response_selector"]["faq"]["response"]["intent_response_key"]
    assert key == "faq/why_pull_away_when_good"


def test_crisis_gets_resources_first(assistant, sender, responses) -> None:
    replies = assistant.say(sender, "everyone would be better off without me")
    assert joined(replies).startswith(first_text(responses, "utter_crisis"))


# A crisis message of a spent round that no layer makes crisis: the crisis reader scores it
# 0.825 and the classifiers give crisis 0.44, both past the soft layer's thresholds.
NEAR_CRISIS = ("my daughter moved back home to look after me. shes 26, she should be out living "
               "her life. i keep thinking the kindest thing i could do for her is be gone")


def test_a_message_near_crisis_gets_the_help_line_before_its_reply(
    assistant, sender, responses
) -> None:
    parsed = assistant.parse(NEAR_CRISIS)
    assert parsed["intent"]["name"] == "share_experience"
    assert parsed["pause_safety_check"] == ["reader", "confidence"]
    replies = assistant.say(sender, NEAR_CRISIS)
    assert texts(replies)[0] == first_text(responses, "utter_safety_check")
    turn = this_turn(assistant, sender)
    assert [e["name"] for e in turn if e["event"] == "action"] == [
        "action_check_safety", "utter_signal_urge_to_run", "action_offer_answer",
        "utter_offer_exercise", "action_listen"]
    assert [e["metadata"]["utter_action"] for e in turn if e["event"] == "bot"] == [
        "utter_safety_check", "utter_signal_urge_to_run", "utter_offer_exercise"]


def this_turn(assistant, sender: str) -> List[Dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The events from the person's latest message on."""
    events = assistant.tracker(f"rest:{sender}")["events"]
    return events[max(i for i, e in enumerate(events) if e["event"] == "user"):]


# From the first set: "moment" and "question" tie, and the fallback used to take it.
MOMENT_AND_WHY = ("we had the most perfect date and the next day i felt nothing, "
                  "why does that happen")


def test_a_moment_told_with_its_question_gets_both(assistant, sender) -> None:
    parsed = assistant.parse(MOMENT_AND_WHY)
    assert parsed["intent"]["name"] == "faq"
    assert parsed["pause_moment"] == {"start": 0, "end": len(MOMENT_AND_WHY)}
    assistant.say(sender, MOMENT_AND_WHY)
    turn = this_turn(assistant, sender)
    assert [e["name"] for e in turn if e["event"] == "action"] == [
        "action_answer_faq", "action_listen"]
    assert [e["metadata"]["utter_action"] for e in turn if e["event"] == "bot"] == [
        "utter_signal_loss_of_interest", "utter_faq/why_pull_away_when_good",
        "utter_offer_exercise"]


def test_greet_introduces_and_offers_a_menu(assistant, sender) -> None:
    replies = assistant.say(sender, "hi")
    assert "Pause" in replies[0]["text"] and len(replies[0]["buttons"]) == 4


def test_out_of_scope_says_what_it_can_do(assistant, sender, responses) -> None:
    replies = assistant.say(sender, "can you write me a python script to sort a list")
    assert texts(replies) == [first_text(responses, "utter_out_of_scope")]
