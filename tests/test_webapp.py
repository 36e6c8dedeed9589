"""The web app (webapp/): page, /health and /export/<token>, served on a free port."""

import asyncio
import json
import uuid
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator, Iterator, Mapping

import aiohttp
import pytest
from aiohttp import web
from sanic import Sanic

from pause import links
from pause.repository import FINISHED, Reflection, ReflectionRepository
from pause.settings import Settings, load_settings
from tests.servers import free_port
from webapp import create_app
from webapp.app import WEBCHAT_BUNDLE

SECRET = "test-secret-0123456789"
NOW = 1_700_000_000.0


# --- the app, served on a free port -----------------------------------------------------------


def settings_for(tmp_path: Path, **extra: str) -> Settings:
    env = {
        "PAUSE_VAR_DIR": str(tmp_path),
        "EXPORT_SECRET": SECRET,
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "REFLECTIONS_DB_URL": f"sqlite:///{tmp_path / 'reflections.db'}",
        **extra,
    }
    return load_settings(env)


@pytest.fixture(autouse=True, scope="module")
def sanic_test_mode() -> Iterator[None]:
    """Let Sanic 21.12 start several apps in one process (its TouchUp rewrites methods once)."""
    previous, Sanic.test_mode = Sanic.test_mode, True
    yield
    Sanic.test_mode = previous


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    app = create_app(settings, name=f"pause_web_{uuid.uuid4().hex[:8]}")
    server = await app.create_server(
        host="127.0.0.1", port=settings.web_port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{settings.web_port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        for connection in list(server.connections):
            connection.close_if_idle()
        for _ in range(50):
            if not server.connections:
                break
            await asyncio.sleep(0.02)
        await server.after_stop()


@asynccontextmanager
async def fake_server(port: int, path: str, status: int) -> AsyncIterator[None]:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=status)

    application = web.Application()
    application.router.add_get(path, answer)
    runner = web.AppRunner(application)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    text: str


async def get(url: str) -> Answer:
    async with aiohttp.ClientSession() as session:
        async with session.get(url, allow_redirects=False) as response:
            return Answer(response.status, response.headers, await response.text())


async def test_page_names_the_rasa_server_and_restricts_scripts(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    async with serving(settings) as base:
        response = await get(f"{base}/")
    page = response.text
    assert response.status == 200
    assert 'lang="en"' in page and "<title>" in page
    assert f'data-socket-url="{settings.rasa_url}"' in page
    assert "not therapy" in page and "988" in page and "findahelpline.com" in page
    assert "delete my reflections" in page
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and settings.rasa_url in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.npm
@pytest.mark.skipif(not WEBCHAT_BUNDLE.exists(), reason="npm ci has not installed the widget")
async def test_each_page_carries_a_new_session_offer_the_server_signed(tmp_path: Path) -> None:
    import re

    from pause import keys, sessions

    settings = settings_for(tmp_path)
    async with serving(settings) as base:
        first, second = await get(f"{base}/"), await get(f"{base}/")
    found = [re.search(r'data-session-offer="([^"]+)"', a.text) for a in (first, second)]
    offers = [m.group(1) for m in found if m]
    assert len(offers) == 2 and offers[0] != offers[1]
    secret = keys.session_secret(settings)
    assert all(sessions.verify_offer(offer, secret) for offer in offers)
    assert first.headers["Cache-Control"] == "no-store"


@pytest.mark.npm
async def test_widget_bundle_is_served(tmp_path: Path) -> None:
    async with serving(settings_for(tmp_path)) as base:
        response = await get(f"{base}/static/vendor/webchat.js")
        style = await get(f"{base}/static/pause.css")
    assert response.status == 200 and "javascript" in response.headers["Content-Type"]
    assert style.status == 200


@pytest.mark.parametrize(
    "rasa_status, actions_running, status",
    [
        (200, True, 200),  # both up
        (200, False, 503),  # the action server is not running
        (500, True, 503),  # Rasa answers, but with an error
    ],
)
async def test_health(tmp_path: Path, rasa_status: int, actions_running: bool, status: int) -> None:
    settings = settings_for(tmp_path)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(fake_server(settings.rasa_port, "/", rasa_status))
        if actions_running:
            await stack.enter_async_context(fake_server(settings.action_port, "/health", 200))
        base = await stack.enter_async_context(serving(settings))
        response = await get(f"{base}/health")
    body = json.loads(response.text)
    assert response.status == status, body
    assert body["rasa"]["up"] is (rasa_status == 200)
    assert body["action_server"]["up"] is actions_running
    assert body["status"] == ("ok" if status == 200 else "unavailable")


def reflection(user: str, noticed: str, minutes_ago: int) -> Reflection:
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return Reflection(
        id=uuid.uuid4().hex,
        user_id=user,
        channel="socketio",
        status=FINISHED,
        answers={"noticed": noticed, "verdict": "protection", "step": None},
        created_at=created,
    )


async def download(base: str, token: str) -> Answer:
    return await get(f"{base}/export/{token}")


async def test_export_downloads_only_that_persons_reflections(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = ReflectionRepository(settings.reflections_db_url)
    store.save(reflection("alice", "an urge to be alone", 10))
    store.save(reflection("alice", "irritation <b>out</b> of nowhere", 5))
    store.save(reflection("bob", "bob's secret", 1))
    store.dispose()
    async with serving(settings) as base:
        response = await download(base, links.sign("alice", SECRET, 60))
    text = response.text
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/markdown")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".md" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert text.startswith("# My pause reflections")
    assert text.index("an urge to be alone") < text.index("irritation <b>out</b> of nowhere")
    assert "bob" not in text


async def test_export_rejects_bad_and_expired_links(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    expired = links.sign("alice", SECRET, 60, now=NOW)
    forged = links.sign("alice", "not-the-secret", 60)
    async with serving(settings) as base:
        statuses = [(await download(base, token)).status for token in [expired, forged, "x.y.z"]]
    assert statuses == [403, 403, 403]


async def test_export_without_a_secret_is_off(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, EXPORT_SECRET="")
    async with serving(settings) as base:
        response = await download(base, links.sign("alice", SECRET, 60))
    assert response.status == 403


async def test_export_when_the_store_is_down(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings = settings_for(tmp_path, REFLECTIONS_DB_URL=f"sqlite:///{blocker / 'sub' / 'r.db'}")
    async with serving(settings) as base:
        response = await download(base, links.sign("alice", SECRET, 60))
    assert response.status == 503
