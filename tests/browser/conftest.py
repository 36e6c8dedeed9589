"""The whole stack for browser tests: action server, Rasa server, web app, and Chromium."""

import os
import re
import secrets
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, sync_playwright

from pause.domain import load_domain
from scripts import serve
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDGET = ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"
LOGS = ROOT / "artifacts" / "logs" / "browser"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


class Stack:
    """The running servers, as `make run` starts them: actions, Rasa and the web app."""

    def __init__(self, overrides: Dict[str, str]) -> None:
        self.overrides = overrides
        self.settings = serve.load_settings({**os.environ, **overrides})
        self.base_url = f"http://127.0.0.1:{overrides['WEB_PORT']}"
        self.rasa_url = self.settings.rasa_url
        self.servers: Any = None
        self.log_dir = LOGS

    def start(self) -> "Stack":
        self.servers = serve.start(self.overrides, log_dir=self.log_dir, web=True)
        return self

    def stop(self) -> None:
        if self.servers is not None:
            self.servers.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for needed, how in [
        (serve.MODEL, "make train"),
        (WIDGET, "npm ci --ignore-scripts"),
        (CHROMIUM, "apt-get install -y chromium"),
    ]:
        if not needed.exists():
            pytest.fail(f"{needed} is missing: run `{how}`")
    tmp = tmp_path_factory.mktemp("browser")
    LOGS.mkdir(parents=True, exist_ok=True)
    web_port = free_port()
    overrides = {
        "PAUSE_VAR_DIR": str(tmp / "var"),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(web_port),
        # Set explicitly so that `rasa run --cors` is on too: both CORS layers together.
        "WEB_ORIGIN": f"http://127.0.0.1:{web_port}",
        "REFLECTIONS_DB_URL": f"sqlite:///{tmp / 'var' / 'reflections.db'}",
        "EXPORT_SECRET": secrets.token_urlsafe(32),
        "RASA_API_TOKEN": secrets.token_urlsafe(24),
        "RATE_LIMIT_PER_SENDER": "100000",
        "RATE_LIMIT_PER_IP": "100000",
    }
    running = Stack(overrides)
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test: its own local storage, so its own conversation."""
    fresh = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    fresh.set_default_timeout(30_000)
    yield fresh
    fresh.close()


@pytest.fixture
def dialogs(context: BrowserContext) -> List[str]:
    """Messages of every alert/confirm/prompt any page opened (each is dismissed)."""
    opened: List[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    context.on("dialog", dismiss)
    return opened


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def responses() -> Dict[str, Any]:
    """Every response of the domain and of data/responses/faq.yml, by name."""
    domain = load_domain(with_faq=True)["responses"]
    return dict(domain)


def plain(markdown: str) -> str:
    """The text a reader sees once ``markdown`` is rendered (bold, italics, links, lists)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", markdown)
    text = re.sub(r"^\s*[-*] ", "", text, flags=re.MULTILINE)
    text = text.replace("**", "").replace("*", "")
    return " ".join(text.split())
