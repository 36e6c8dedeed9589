"""Telegram end to end: real Rasa and action servers, the fake Bot API recording replies."""

import html
import json
import random
import time
from typing import Any, Dict, List

import pytest

from channels.rendering import parse, telegram_html
from tests.channels.clients import TELEGRAM_SECRET, WEBHOOK_URL, Assistant, buttons_of, text_of
from tests.channels.fakes import Call

pytestmark = pytest.mark.e2e

LONG_ANSWER = " ".join(
    [
        "she said she loves me and I felt my chest go tight, then I started planning how to"
        " spend the whole weekend alone at home"
    ]
    * 15
)  # ~1,800 characters, one step's answer


def user() -> int:
    return random.randint(10**8, 10**9)


def html_of(responses: Dict[str, Any], name: str, variation: int = 0) -> str:
    return telegram_html(parse(text_of(responses, name, variation)))


def keyboard(call: Call) -> List[Dict[str, str]]:
    markup = call.json("reply_markup") or {"inline_keyboard": []}
    return [button for row in markup["inline_keyboard"] for button in row]


def as_buttons(call: Call) -> List[Dict[str, str]]:
    return [{"title": b["text"], "payload": b["callback_data"]} for b in keyboard(call)]


def test_webhook_is_registered_with_the_secret(assistant: Assistant) -> None:
    calls = assistant.telegram.since(0)
    assert "getMe" in [c.method for c in calls]
    # The fake API lives for the whole session: every server start with these credentials so
    # far (the check-in tests start their own) registered this webhook, each with the secret.
    hooks = [c for c in calls if c.method == "setWebhook" and c.params["url"] == WEBHOOK_URL]
    assert hooks and all(h.params["secret_token"] == TELEGRAM_SECRET for h in hooks)
    assert all(json.loads(h.params["allowed_updates"]) == ["message", "callback_query"]
               for h in hooks)


def test_greeting_has_an_inline_keyboard(assistant: Assistant, responses: Dict[str, Any]) -> None:
    me = user()
    [reply] = assistant.say_telegram(me, "hi")
    assert reply.params["parse_mode"] == "HTML" and int(reply.params["chat_id"]) == me
    assert reply.params["text"] == html_of(responses, "utter_greet")
    assert "<i>pause before the exit</i>" in reply.params["text"]
    assert as_buttons(reply) == buttons_of(responses, "utter_greet")


def test_start_command_greets(assistant: Assistant, responses: Dict[str, Any]) -> None:
    [reply] = assistant.say_telegram(user(), "/start")
    assert reply.params["text"] == html_of(responses, "utter_greet")


def test_crisis_resources_as_html(assistant: Assistant, responses: Dict[str, Any]) -> None:
    replies = assistant.say_telegram(user(), "everyone would be better off without me")
    assert replies[0].params["text"] == html_of(responses, "utter_crisis")
    assert '<a href="https://findahelpline.com">' in replies[0].params["text"]


def test_the_whole_exercise_by_taps_and_typed_answers(
    assistant: Assistant, responses: Dict[str, Any]
) -> None:
    me = user()
    replies = assistant.say_telegram(me, "we had a great weekend and now i just want to be alone")
    assert replies[0].params["text"] == html_of(responses, "utter_signal_need_to_be_alone")
    assert as_buttons(replies[-1]) == buttons_of(responses, "utter_offer_exercise")
    mark = assistant.telegram.mark()
    replies = assistant.tap_telegram(me, replies[-1], "/start_exercise")
    ack = assistant.telegram.since(mark)
    assert [c.method for c in ack[:2]] == ["answerCallbackQuery", "editMessageText"]
    assert ack[1].params["text"] == (
        html_of(responses, "utter_offer_exercise") + "\n\n<i>› Start the pause now</i>"
    )
    assert replies[0].params["text"] == html_of(responses, "utter_exercise_intro")
    assert "Earlier you described" in replies[-1].params["text"]
    assert as_buttons(replies[-1]) == buttons_of(responses, "utter_ask_pause_noticed", 1)

    steps = [  # (tap payload or typed text, the step asked next)
        ("tap:/affirm", "utter_ask_pause_before"),
        (LONG_ANSWER, "utter_ask_pause_body"),
        ('tap:/affirm{"choice": "tense and restless"}', "utter_ask_pause_reason"),
        (LONG_ANSWER, "utter_ask_pause_verdict"),
        ('tap:/affirm{"choice": "protection"}', "utter_ask_pause_wait"),
        (LONG_ANSWER, "utter_ask_pause_step"),
    ]
    for answer, asked in steps:
        if answer.startswith("tap:"):
            replies = assistant.tap_telegram(me, replies[-1], answer[4:])
        else:
            replies = assistant.say_telegram(me, answer)
        assert replies[-1].params["text"] == html_of(responses, asked), asked
        assert as_buttons(replies[-1]) == buttons_of(responses, asked), asked

    replies = assistant.tap_telegram(me, replies[-1], "/skip_step")
    # the wait ("...weekend alone at home") names no time: the check-in offer asks for one
    assert replies[-1].params["text"] == html_of(responses, "utter_checkin_offer_no_time")
    replies = replies[:-1]
    summary = replies[:-1]  # the summary holds 3 long answers: more than one message
    assert len(summary) >= 2
    assert all(len(c.params["text"]) <= 4096 for c in summary)
    assert all("reply_markup" not in c.params for c in summary)
    visible = " ".join(html.unescape(c.params["text"]) for c in summary)
    assert visible.count("spend the whole weekend alone at home") == 45
    assert "<b>Small step:</b> skipped" in summary[-1].params["text"]
    assert replies[-1].params["text"] == html_of(responses, "utter_reflection_saved")
    assert as_buttons(replies[-1]) == buttons_of(responses, "utter_reflection_saved")

    replies = assistant.tap_telegram(me, replies[-1], "/show_map")  # "my map"
    assert replies[0].params["text"].startswith("<b>Your map so far</b>")
    assert "• <b>Signal or protection:</b>" in replies[0].params["text"]


def exercise_until_stop(assistant: Assistant, me: int) -> None:
    assistant.say_telegram(me, "start the exercise")
    assistant.say_telegram(me, "feeling smothered")
    assistant.say_telegram(me, "stop")


def test_reflections_are_per_telegram_user(assistant: Assistant, responses: Dict[str, Any]) -> None:
    alice, bob = user(), user()
    exercise_until_stop(assistant, alice)
    [mine] = assistant.say_telegram(alice, "show my reflections")
    assert "feeling smothered" in mine.params["text"]
    [theirs] = assistant.say_telegram(bob, "show my reflections")
    assert theirs.params["text"] == html_of(responses, "utter_no_reflections")
    events = assistant.user_events(f"telegram:{alice}")  # the conversation: the Telegram user
    assert events and {e["input_channel"] for e in events} == {"telegram"}


def test_export_arrives_as_a_document(assistant: Assistant) -> None:
    me = user()
    exercise_until_stop(assistant, me)
    mark = assistant.telegram.mark()
    assistant.say_telegram(me, "export my reflections")
    documents = [
        c for c in assistant.telegram.since(mark, "sendDocument") if int(c.params["chat_id"]) == me
    ]
    assert documents, "the export should arrive as a document"
    name, content = documents[0].files["document"]
    assert name.endswith(".md") and "feeling smothered" in content.decode("utf-8")


def test_delete_by_tapping_yes(assistant: Assistant, responses: Dict[str, Any]) -> None:
    me = user()
    exercise_until_stop(assistant, me)
    [confirm] = assistant.say_telegram(me, "delete my reflections")[-1:]
    assert confirm.params["text"] == html_of(responses, "utter_confirm_delete")
    replies = assistant.tap_telegram(me, confirm, "/affirm")
    assert replies[0].params["text"].startswith("Done. Your reflections (1) and our conversation")
    [after] = assistant.say_telegram(me, "show my reflections")
    assert after.params["text"] == html_of(responses, "utter_no_reflections")


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TELEGRAM_SECRET + "x"])
def test_a_request_without_the_secret_gets_401_and_nothing_happens(
    assistant: Assistant, secret: Any
) -> None:
    me = user()
    mark = assistant.telegram.mark()
    response = assistant.telegram_post(assistant.telegram_message(me, "hi"), secret=secret)
    assert response.status_code == 401
    time.sleep(0.5)
    assert assistant.telegram.since(mark) == []
    assert assistant.user_events(f"telegram:{me}") == []
