"""Slack end to end: real Rasa and action servers, the fake Web API recording replies."""

import json
import random
import time
from typing import Any, Dict, List, Tuple

import pytest

from channels.rendering import parse, plain, slack_mrkdwn
from tests.channels.clients import SLACK_SIGNING_SECRET, Assistant, buttons_of, text_of
from tests.channels.fakes import Call

pytestmark = pytest.mark.e2e

LONG_ANSWER = " ".join(
    ["she said she loves me and I felt my chest go tight, then I started planning how to"
     " spend the whole weekend alone at home"] * 15)  # ~1,800 characters


def person() -> Tuple[str, str]:
    """A Slack user id and the id of their DM channel with the app."""
    number = random.randint(10**6, 10**7)
    return f"U{number}", f"D{number}"


def mrkdwn_of(responses: Dict[str, Any], name: str, variation: int = 0) -> str:
    return slack_mrkdwn(parse(text_of(responses, name, variation)))


def section(call: Call) -> str:
    return str(call.json("blocks")[0]["text"]["text"])


def as_buttons(call: Call) -> List[Dict[str, str]]:
    return [{"title": e["text"]["text"], "payload": e["value"]}
            for b in call.json("blocks") if b["type"] == "actions" for e in b["elements"]]


def test_url_verification_is_answered(assistant: Assistant) -> None:
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    response = assistant.slack_post(body.encode(), "application/json")
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}


def test_greeting_as_mrkdwn_with_buttons(assistant: Assistant, responses: Dict[str, Any]) -> None:
    user, dm = person()
    [reply] = assistant.say_slack(user, dm, "hi")
    assert section(reply) == mrkdwn_of(responses, "utter_greet")
    assert "_pause before the exit_" in section(reply)
    assert as_buttons(reply) == buttons_of(responses, "utter_greet")
    assert reply.params["text"] == plain(parse(text_of(responses, "utter_greet")))


def test_the_whole_exercise_by_taps_and_typed_answers(
        assistant: Assistant, responses: Dict[str, Any]) -> None:
    user, dm = person()
    replies = assistant.say_slack(user, dm, "start the exercise", expect=2)
    assert section(replies[0]) == mrkdwn_of(responses, "utter_exercise_intro")
    assert as_buttons(replies[-1]) == buttons_of(responses, "utter_ask_pause_noticed")

    mark = assistant.slack.mark()
    replies = assistant.tap_slack(user, replies[-1], '/affirm{"choice": "feeling smothered"}')
    [ack] = assistant.slack.since(mark, "chat.update")
    assert ack.params["channel"] == dm
    assert [b["type"] for b in ack.json("blocks")] == ["section", "context"]
    assert ack.json("blocks")[1]["elements"][0]["text"] == "› _Feeling smothered_"
    assert section(replies[-1]) == mrkdwn_of(responses, "utter_ask_pause_before")

    steps = [
        (LONG_ANSWER, "utter_ask_pause_body"),
        ('tap:/affirm{"choice": "heart racing"}', "utter_ask_pause_reason"),
        (LONG_ANSWER, "utter_ask_pause_verdict"),
        ('tap:/affirm{"choice": "not sure"}', "utter_ask_pause_wait"),
        ("a day", "utter_ask_pause_step"),
    ]
    for answer, asked in steps:
        if answer.startswith("tap:"):
            replies = assistant.tap_slack(user, replies[-1], answer[4:])
        else:
            replies = assistant.say_slack(user, dm, answer)
        assert section(replies[-1]) == mrkdwn_of(responses, asked), asked
        assert as_buttons(replies[-1]) == buttons_of(responses, asked), asked

    replies = assistant.say_slack(user, dm, LONG_ANSWER, expect=4)  # step 7, typed
    summary, saved, offer = replies[:-2], replies[-2], replies[-1]
    assert len(summary) >= 2 and all(len(section(c)) <= 3000 for c in summary)
    assert all(len(c.json("blocks")) == 1 for c in summary)  # buttons only on the last
    joined = " ".join(section(c) for c in summary)
    assert joined.count("spend the whole weekend alone at home") == 45
    assert section(saved) == mrkdwn_of(responses, "utter_reflection_saved")
    assert as_buttons(offer) == buttons_of(responses, "utter_checkin_offer")  # waits a day

    replies = assistant.say_slack(user, dm, "my map", expect=1)
    assert section(replies[0]).startswith("*Your map so far*")


def test_reflections_and_deletion_are_per_slack_user(
        assistant: Assistant, responses: Dict[str, Any]) -> None:
    (alice, alice_dm), (bob, bob_dm) = person(), person()
    assistant.say_slack(alice, alice_dm, "start the exercise", expect=2)
    assistant.say_slack(alice, alice_dm, "irritation out of nowhere")
    assistant.say_slack(alice, alice_dm, "stop")
    [mine] = assistant.say_slack(alice, alice_dm, "show my reflections")
    assert "irritation out of nowhere" in section(mine)
    [theirs] = assistant.say_slack(bob, bob_dm, "show my reflections")
    assert section(theirs) == mrkdwn_of(responses, "utter_no_reflections")
    events = assistant.user_events(f"slack:{alice}")  # the conversation: the Slack user
    assert events and {e["input_channel"] for e in events} == {"slack"}

    [confirm] = assistant.say_slack(alice, alice_dm, "delete my reflections")[-1:]
    assert section(confirm) == mrkdwn_of(responses, "utter_confirm_delete")
    [done] = assistant.tap_slack(alice, confirm, "/affirm")
    assert section(done).startswith("Done. Your reflections (1) and our conversation")
    [after] = assistant.say_slack(alice, alice_dm, "show my reflections")
    assert section(after) == mrkdwn_of(responses, "utter_no_reflections")


def test_export_arrives_as_a_file(assistant: Assistant) -> None:
    user, dm = person()
    assistant.say_slack(user, dm, "start the exercise", expect=2)
    assistant.say_slack(user, dm, "feeling smothered")
    assistant.say_slack(user, dm, "stop")
    mark = assistant.slack.mark()
    assistant.say_slack(user, dm, "export my reflections", expect=1)
    time.sleep(2)
    completed = [c for c in assistant.slack.since(mark, "files.completeUploadExternal")
                 if c.params.get("channel_id") == dm]
    assert completed, "the export should arrive as a file"
    upload = assistant.slack.since(mark, "upload")[0]
    assert "feeling smothered" in upload.files["file"][1].decode("utf-8")


def _nothing_happens(assistant: Assistant, user: str, mark: int) -> None:
    time.sleep(1.5)  # the Slack channel works in the background: give it time to misbehave
    assert assistant.slack.since(mark) == []
    assert assistant.user_events(f"slack:{user}") == []


@pytest.mark.parametrize(("secret", "age"), [
    ("forged-secret", 0),  # not signed with our signing secret
    (SLACK_SIGNING_SECRET, 6 * 60),  # a captured request replayed 6 minutes later
])
def test_forged_or_replayed_requests_get_401_and_nothing_happens(
        assistant: Assistant, secret: str, age: int) -> None:
    user, dm = person()
    mark = assistant.slack.mark()
    body = assistant.slack_event(user, dm, "hi")
    response = assistant.slack_post(body, "application/json", timestamp=int(time.time()) - age,
                                    secret=secret)
    assert response.status_code == 401
    tap = {"type": "block_actions", "user": {"id": user}, "channel": {"id": dm},
           "actions": [{"type": "button", "value": "/start_exercise", "text": {"text": "x"}}]}
    form = f"payload={json.dumps(tap)}".encode()
    response = assistant.slack_post(form, "application/x-www-form-urlencoded",
                                    timestamp=int(time.time()) - age, secret=secret)
    assert response.status_code == 401
    _nothing_happens(assistant, user, mark)


def test_retries_and_bot_messages_are_ignored(assistant: Assistant) -> None:
    user, dm = person()
    mark = assistant.slack.mark()
    response = assistant.slack_post(assistant.slack_event(user, dm, "hi"), "application/json",
                                    **{"X-Slack-Retry-Num": "1",
                                       "X-Slack-Retry-Reason": "http_timeout"})
    assert response.status_code == 200 and response.headers.get("X-Slack-No-Retry") == "1"
    event = json.loads(assistant.slack_event(user, dm, "hi"))
    event["event"]["bot_id"] = "BOTHER"
    assert assistant.slack_post(json.dumps(event).encode(), "application/json").ok
    _nothing_happens(assistant, user, mark)
