"""Plain-text channel end to end: numbered options picked by number, Markdown stripped."""

import uuid
from typing import Any, Dict

import pytest
import requests

from channels.rendering import numbered, plain_text
from tests.channels.clients import Assistant, buttons_of, text_of

pytestmark = pytest.mark.e2e


def shown(responses: Dict[str, Any], name: str, variation: int = 0, first: int = 1) -> str:
    """A response as the plain-text channel shows it."""
    text = plain_text(text_of(responses, name, variation))
    titles = [b["title"] for b in buttons_of(responses, name, variation)]
    return f"{text}\n\n{numbered(titles, first)}" if titles else text


def test_the_exercise_by_numbers_and_words(assistant: Assistant, responses: Dict[str, Any]) -> None:
    me = f"sms-{uuid.uuid4().hex[:8]}"
    replies = assistant.say_plain(me, "we had a great weekend and now i just want to be alone")
    assert replies[-1] == shown(responses, "utter_offer_exercise")
    assert replies[-1].endswith("\n\n1. Start the pause now\n2. Not now")

    replies = assistant.say_plain(me, "1")  # Start the pause now
    assert replies[0] == plain_text(text_of(responses, "utter_exercise_intro"))
    assert replies[-1].endswith("\n\n1. Yes, that's it")

    steps = [("1", "utter_ask_pause_before"), ("2", "utter_ask_pause_body"),
             ("tight chest, restless", "utter_ask_pause_reason"),
             ("i just need space", "utter_ask_pause_verdict"),  # an option's title, typed
             ("2.", "utter_ask_pause_wait"), ("4", "utter_ask_pause_step")]
    for answer, asked in steps:
        replies = assistant.say_plain(me, answer)
        assert replies[-1] == shown(responses, asked), asked

    replies = assistant.say_plain(me, "3")  # Skip
    summary = replies[0]
    assert "**" not in summary and "Body: tight chest, restless" in summary
    assert "Just before: they said something loving" in summary
    assert "Mind's reason: I just need space" in summary
    assert "Signal or protection: protection" in summary and "Could wait: a few days" in summary
    assert replies[-1] == shown(responses, "utter_reflection_saved")

    replies = assistant.say_plain(me, "1")  # Show my map
    assert replies[0].startswith("Your map so far") and "**" not in replies[0]


def test_a_number_without_options_is_just_text(assistant: Assistant) -> None:
    me = f"sms-{uuid.uuid4().hex[:8]}"
    assistant.say_plain(me, "thank you")
    assert assistant.user_events(f"plaintext:{me}")[-1]["text"] == "thank you"
    assistant.say_plain(me, "7")
    assert assistant.user_events(f"plaintext:{me}")[-1]["text"] == "7"


def test_text_plain_answers_and_bad_requests(assistant: Assistant,
                                             responses: Dict[str, Any]) -> None:
    url = f"{assistant.url}/webhooks/plaintext/webhook"
    response = requests.post(url, json={"sender": "sms-x", "message": "hi"},
                             headers={"Accept": "text/plain", **assistant.auth}, timeout=60)
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == shown(responses, "utter_greet")
    auth = assistant.auth
    assert requests.post(url, json={"message": "hi"}, headers=auth, timeout=10).status_code == 400
    assert requests.post(url, data=b"not json", headers=auth, timeout=10).status_code == 400
