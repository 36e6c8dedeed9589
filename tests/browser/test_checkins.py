"""Check-ins on the web page: live while it is open, on the next visit when it was closed.

A stack of its own, with the scheduler's test clock (``PAUSE_TEST_CLOCK_FILE``), a short
poll and no quiet hours, so that "an hour" falls due when the file says 3,700 seconds.
"""

import re
import secrets
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Locator, Page

from tests.browser.conftest import LOGS, SCREENSHOTS, Stack, plain
from tests.browser.widget import BOT, Chat
from tests.servers import free_port

pytestmark = pytest.mark.browser

QUESTION = "Earlier you paused before acting on"


class ClockedStack(Stack):
    def __init__(self, tmp: Path) -> None:
        web_port = free_port()
        self.clock = tmp / "clock"
        self.clock.write_text("0")
        self.db = tmp / "var" / "reflections.db"
        super().__init__(
            {
                "PAUSE_VAR_DIR": str(tmp / "var"),
                "RASA_PORT": str(free_port()),
                "ACTION_PORT": str(free_port()),
                "WEB_PORT": str(web_port),
                "WEB_ORIGIN": f"http://127.0.0.1:{web_port}",
                "REFLECTIONS_DB_URL": f"sqlite:///{self.db}",
                "EXPORT_SECRET": secrets.token_urlsafe(32),
                "RASA_API_TOKEN": secrets.token_urlsafe(24),
                "RATE_LIMIT_PER_SENDER": "100000",
                "RATE_LIMIT_PER_IP": "100000",
                "PAUSE_TEST_CLOCK_FILE": str(self.clock),
                "CHECKIN_POLL_SECONDS": "0.5",
                "CHECKIN_QUIET_HOURS": "off",
                "CHECKIN_LEASE_SECONDS": "7200",  # longer than the clock moves: leases hold
            }
        )
        self.log_dir = LOGS / "checkins"  # its own: it reads its sockets in the Rasa log

    def _logged(self, what: str) -> List[str]:
        """Socket ids the Rasa server logged with ``what`` (channels/socketio.py), in order."""
        log = self.log_dir / "rasa.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return re.findall(rf"socket\.io: socket (\S+) {what}\.", text)

    def newest_socket(self) -> str:
        """The socket of the page that connected last (one page connects at a time here)."""
        return self._logged("started a session")[-1]

    def wait_gone(self, socket_id: str, timeout: float = 60) -> None:
        """Wait until the server has seen ``socket_id`` go (a closed page's can take a moment)."""
        deadline = time.monotonic() + timeout
        while socket_id not in self._logged("disconnected"):
            if time.monotonic() > deadline:
                raise AssertionError(f"the server has not seen socket {socket_id} go")
            time.sleep(0.2)

    def statuses(self, sender: str, column: str = "status") -> List[str]:
        engine = sa.create_engine(f"sqlite:///{self.db}")
        try:
            with engine.connect() as conn:
                query = sa.text(f"SELECT {column} FROM checkins WHERE user_id = :u")
                return list(conn.execute(query, {"u": f"socketio:{sender}"}).scalars())
        finally:
            engine.dispose()

    def wait_status(self, sender: str, status: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.statuses(sender) != [status]:
            if time.monotonic() > deadline:
                raise AssertionError(f"check-in is {self.statuses(sender)}, not [{status!r}]")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def clocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedStack]:
    LOGS.mkdir(parents=True, exist_ok=True)
    running = ClockedStack(tmp_path_factory.mktemp("browser-checkins"))
    try:
        yield running.start()  # type: ignore[misc]
    finally:
        running.stop()


def first(responses: Dict[str, Any], name: str) -> Dict[str, Any]:
    return dict(responses[name][0])


def save_with_a_checkin(chat: Chat, responses: Dict[str, Any]) -> Locator:
    chat.wait_for_response(first(responses, "utter_greet"))
    before = chat.send("help me pause")
    chat.wait_for_response(first(responses, "utter_ask_pause_noticed"), before)
    for how, what, question in [
        ("click", "An urge to be alone", "utter_ask_pause_before"),
        ("click", "A really good time together", "utter_ask_pause_body"),
        ("type", "my shoulders went up", "utter_ask_pause_reason"),
        ("click", "I just need space", "utter_ask_pause_verdict"),
        ("click", "Protection", "utter_ask_pause_wait"),
        ("type", "an hour", "utter_ask_pause_step"),
    ]:
        before = chat.click_reply(what) if how == "click" else chat.send(what)
        chat.wait_for_response(dict(responses[question][-1]), before)
    before = chat.send("skip")
    chat.wait_for("check in when the wait is up", before)
    before = chat.click_reply("Yes, check in then")
    return chat.wait_for("Okay. I'll check in on", before)


def questions(page: Page) -> int:
    texts = page.locator(BOT).all_inner_texts()
    return len([t for t in texts if QUESTION in " ".join(t.split())])


def test_a_checkin_due_while_the_page_was_closed_appears_on_the_next_visit(
    clocked: ClockedStack, context: BrowserContext, responses: Dict[str, Any]
) -> None:
    clocked.clock.write_text("0")
    page = context.new_page()
    chat = Chat(page, clocked.base_url).open()
    save_with_a_checkin(chat, responses)
    sender = chat.session_id()
    socket_id = clocked.newest_socket()
    page.close()  # the page is closed when the check-in falls due
    clocked.wait_gone(socket_id)  # and the server knows it before the clock moves
    clocked.clock.write_text("3700")
    clocked.wait_status(sender, "held")

    page = context.new_page()  # the next visit (same browser, same conversation)
    chat = Chat(page, clocked.base_url).open()
    question = chat.wait_for(QUESTION)
    assert "an urge to be alone" in question.inner_text()
    clocked.wait_status(sender, "sent")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "checkin-next-visit.png"))
    page.wait_for_timeout(2000)
    assert questions(page) == 1

    page.reload()  # shown once, never again
    chat.wait_connected()
    chat.wait_for(QUESTION)
    page.wait_for_timeout(3000)
    assert questions(page) == 1 and clocked.statuses(sender) == ["sent"]

    before = chat.click_reply("It passed")
    chat.wait_for(plain(first(responses, "utter_checkin_passed")["text"]), before)
    clocked.wait_status(sender, "answered")
    page.close()


def test_a_checkin_is_shown_at_once_while_the_page_is_open(
    clocked: ClockedStack, context: BrowserContext, responses: Dict[str, Any]
) -> None:
    clocked.clock.write_text("0")
    page = context.new_page()
    chat = Chat(page, clocked.base_url).open()
    save_with_a_checkin(chat, responses)
    sender = chat.session_id()
    before = chat.count()
    clocked.clock.write_text("3700")
    chat.wait_for(QUESTION, before)
    clocked.wait_status(sender, "sent")
    page.wait_for_timeout(2000)
    assert questions(page) == 1
    page.close()


def test_the_checkin_is_placed_in_the_browsers_time_zone(
    clocked: ClockedStack, browser: Browser, responses: Dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  timezone_id="Pacific/Auckland")
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        chat = Chat(page, clocked.base_url).open()
        confirmed = save_with_a_checkin(chat, responses)
        assert "(NZDT)" in confirmed.inner_text()  # the confirmation, in the person's own zone
        assert clocked.statuses(chat.session_id(), "timezone") == ["Pacific/Auckland"]
    finally:
        context.close()
