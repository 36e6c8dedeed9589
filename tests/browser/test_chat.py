"""The web page in Chromium: questions, buttons, the exercise, export, reload, escaping."""
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import SCREENSHOTS, Stack, plain
from tests.browser.widget import USER, Chat

pytestmark = pytest.mark.browser

# The question the issue names; it is also a heading of the article, so it is written on two
# lines to keep the article-overlap check (which reads lines) about answers, not test inputs.
QUESTION = (
    "why do avoidants pull away "
    "when things are going well?"
)
BODY = "tight chest <em>and</em> restless legs"  # echoed back by the bot: must stay text


def first(responses: Dict[str, Any], name: str) -> Dict[str, Any]:
    return dict(responses[name][0])


def last(responses: Dict[str, Any], name: str) -> Dict[str, Any]:
    return dict(responses[name][-1])


def test_a_question_gets_its_answer_with_markdown(stack: Stack, page: Page,
                                                  responses: Dict[str, Any]) -> None:
    chat = Chat(page, stack.base_url).open()
    chat.wait_for_response(first(responses, "utter_greet"))
    before = chat.send(QUESTION)
    answer = chat.wait_for_response(first(responses, "utter_faq/why_pull_away_when_good"), before)
    assert answer.locator("strong").count() >= 1  # **bold** is rendered, not shown as stars
    assert "**" not in answer.inner_text()
    for button in first(responses, "utter_faq/why_pull_away_when_good")["buttons"]:
        assert chat.reply(button["title"]).is_visible()  # buttons render as quick replies


def test_a_suggested_topic_button_by_mouse_and_by_keyboard(stack: Stack, page: Page,
                                                           responses: Dict[str, Any]) -> None:
    chat = Chat(page, stack.base_url).open()
    menu = first(responses, "utter_greet")["buttons"]
    chat.wait_for_response(first(responses, "utter_greet"))
    before = chat.click_reply(menu[0]["title"])
    chat.wait_for_response(first(responses, "utter_faq/what_is_avoidant_attachment"), before)

    # The answer's own suggestions are real buttons for keyboard users: focus, then Enter.
    follow_up = first(responses, "utter_faq/what_is_avoidant_attachment")["buttons"][0]
    reply = chat.reply(follow_up["title"])
    assert reply.get_attribute("role") == "button" and reply.get_attribute("tabindex") == "0"
    reply.focus()
    before = chat.count()
    page.keyboard.press("Enter")
    chat.wait_for_response(first(responses, "utter_faq/why_pull_away_when_good"), before)


def test_the_pause_exercise_then_export_downloads_it(stack: Stack, page: Page,
                                                     responses: Dict[str, Any],
                                                     tmp_path: Path) -> None:
    chat = Chat(page, stack.base_url).open()
    chat.wait_for_response(first(responses, "utter_greet"))
    before = chat.send("help me pause")
    chat.wait_for_response(first(responses, "utter_exercise_intro"), before)
    chat.wait_for_response(first(responses, "utter_ask_pause_noticed"), before)

    steps = [  # (how, what, the next question)
        ("click", "An urge to be alone", "utter_ask_pause_before"),
        ("click", "A really good time together", "utter_ask_pause_body"),
        ("type", BODY, "utter_ask_pause_reason"),
        ("click", "I just need space", "utter_ask_pause_verdict"),
        ("click", "Protection", "utter_ask_pause_wait"),
        ("type", "until tomorrow morning", "utter_ask_pause_step"),
    ]
    for how, what, question in steps:
        before = chat.click_reply(what) if how == "click" else chat.send(what)
        chat.wait_for_response(last(responses, question), before)
    before = chat.send("skip")
    summary = chat.wait_for(plain(first(responses, "utter_reflection_summary")["text"]
                                  .split("\n")[0]), before)
    for answer in ["an urge to be alone", BODY, "protection"]:
        assert answer in summary.inner_text()  # the person's own words, HTML shown as text
    assert summary.locator("em").count() == 0
    chat.wait_for_response(first(responses, "utter_reflection_saved"), before)

    before = chat.send("export my reflections")
    link = page.locator("#chat .rw-response a[href*='/export/']").last
    try:
        link.wait_for()
    except PlaywrightTimeout:
        pytest.fail("no /export/ link in the answer: action_export_reflections must send "
                    "pause.links.export_url(...) on the socketio channel")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "exercise-export.png"))
    href = str(link.get_attribute("href"))
    assert href.startswith(f"{stack.base_url}/export/")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".md")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = saved.read_text(encoding="utf-8")
    assert document.startswith(first(responses, "utter_export_title")["text"])
    for answer in ["an urge to be alone", "a really good time together",
                   BODY, "I just need space", "protection",
                   "until tomorrow morning", "skipped"]:
        assert answer in document

    # The link is for this person only and a forged one is refused.
    forged = href[:-4] + ("AAAA" if not href.endswith("AAAA") else "BBBB")
    assert requests.get(forged, timeout=10).status_code == 403


def test_the_conversation_survives_a_reload(stack: Stack, page: Page,
                                            responses: Dict[str, Any]) -> None:
    chat = Chat(page, stack.base_url).open()
    chat.wait_for_response(first(responses, "utter_greet"))
    before = chat.send(QUESTION)
    answer = first(responses, "utter_faq/why_pull_away_when_good")
    chat.wait_for_response(answer, before)
    sender = chat.session_id()
    assert sender

    page.reload()
    chat.wait_connected()
    chat.wait_for(QUESTION, selector=USER)  # the history is shown again
    chat.wait_for_response(answer)
    assert chat.session_id() == sender  # ...and it is still the same conversation
    before = chat.send("what is avoidant attachment?")
    chat.wait_for_response(first(responses, "utter_faq/what_is_avoidant_attachment"), before)

    tracker = requests.get(
        f"{stack.rasa_url}/conversations/socketio:{sender}/tracker",
        headers={"Authorization": f"Bearer {stack.overrides['RASA_API_TOKEN']}"},
        timeout=30,
    ).json()
    said = [event.get("text") for event in tracker["events"] if event["event"] == "user"]
    assert QUESTION in said and "what is avoidant attachment?" in said
    assert len([t for t in said if t and t.startswith("/greet")]) == 1  # greeted once


def test_start_a_new_chat_on_this_device(stack: Stack, page: Page,
                                         responses: Dict[str, Any]) -> None:
    chat = Chat(page, stack.base_url).open()
    chat.wait_for_response(first(responses, "utter_greet"))
    before = chat.send(QUESTION)
    chat.wait_for_response(first(responses, "utter_faq/why_pull_away_when_good"), before)
    old_sender = chat.session_id()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Start a new chat on this device").click()
    chat.wait_connected()
    chat.wait_for_response(first(responses, "utter_greet"))
    assert chat.session_id() not in ("", old_sender)
    assert chat.count(USER) == 0


def test_user_text_is_shown_as_text_never_html(stack: Stack, page: Page,
                                               dialogs: List[str]) -> None:
    chat = Chat(page, stack.base_url).open()
    attack = "<img src=x onerror=alert(1)>"
    before_bot = chat.count()
    chat.send(attack)
    shown = chat.wait_for(attack, selector=USER)
    assert shown.inner_text().strip() == attack
    chat.wait_for("", after=before_bot)  # the assistant has answered, rendering done
    page.wait_for_timeout(500)
    assert page.locator("#chat img[src='x']").count() == 0
    assert dialogs == []


@pytest.mark.parametrize("width, height", [(360, 740), (1280, 800)])
def test_layout_and_screenshot(stack: Stack, page: Page, responses: Dict[str, Any],
                               width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    chat = Chat(page, stack.base_url).open()
    chat.wait_for_response(first(responses, "utter_greet"))
    assert page.title().startswith("Pause")
    assert page.evaluate("document.documentElement.lang") == "en"
    # Readable: nothing wider than the screen, the crisis lines and the chat box on the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for text in ["988", "findahelpline.com", "local emergency number", "not therapy",
                 "delete my reflections"]:
        assert page.get_by_text(text).first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"chat-{width}.png"), full_page=True)
