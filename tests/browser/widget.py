"""A small page object for the chat widget on the web page."""
import time
from typing import Any, Dict

from playwright.sync_api import Locator, Page

from tests.browser.conftest import plain

BOT = "#chat .rw-response"
USER = "#chat .rw-client"
INPUT = "#chat textarea.rw-new-message"

TIMEOUT = 30.0


class Chat:
    """Drives the rasa-webchat widget the way a person would."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self) -> "Chat":
        self.page.goto(self.base_url)
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        self.page.wait_for_selector(f"{INPUT}:not([disabled])")

    def count(self, selector: str = BOT) -> int:
        return self.page.locator(selector).count()

    def send(self, text: str) -> int:
        """Type ``text`` and press Enter; return how many bot messages there were before."""
        before = self.count()
        box = self.page.locator(INPUT)
        box.fill(text)
        box.press("Enter")
        return before

    def click_reply(self, title: str) -> int:
        """Click the quick reply ``title``; return how many bot messages there were before."""
        before = self.count()
        self.reply(title).click()
        return before

    def reply(self, title: str) -> Locator:
        return self.page.locator("#chat .rw-reply", has_text=title).last

    def wait_for(self, needle: str, after: int = 0, selector: str = BOT) -> Locator:
        """Wait until a message after the first ``after`` contains ``needle`` (rendered text).

        Polls from Python: the page's CSP forbids the eval that ``wait_for_function`` needs.
        """
        deadline = time.monotonic() + TIMEOUT
        messages = self.page.locator(selector)
        while True:
            texts = [" ".join(text.split()) for text in messages.all_inner_texts()]
            for index, text in enumerate(texts[after:], start=after):
                if needle in text:
                    return messages.nth(index)
            if time.monotonic() > deadline:
                raise AssertionError(f"no message with {needle!r} after #{after}: {texts}")
            self.page.wait_for_timeout(100)

    def wait_for_response(self, response: Dict[str, Any], after: int = 0) -> Locator:
        """Wait for every paragraph of a domain response (socket.io sends each separately)."""
        found = None
        for paragraph in str(response["text"]).split("\n\n"):
            if "{" not in paragraph:  # skip paragraphs with slots filled in by actions
                found = self.wait_for(plain(paragraph), after)
        assert found is not None, response
        return found

    def session_id(self) -> str:
        """The sender id the widget keeps in local storage."""
        value = self.page.evaluate(
            "JSON.parse(window.localStorage.getItem('chat_session') || '{}').session_id")
        return str(value or "")
