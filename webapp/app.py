"""The Sanic app: the page with the chat widget, ``/health`` and ``/export/<token>``.

Every word a visitor reads is in ``templates/``; this module only fills in addresses.
"""

import asyncio
import html
import logging
from datetime import datetime, timezone
from pathlib import Path
from string import Template
from typing import Any, Dict, Optional

from sanic import Sanic
from sanic.log import logger as sanic_logger
from sanic.request import Request
from sanic.response import HTTPResponse, json, raw
from sanic.response import html as html_response

from pause import links, sessions
from pause.domain import load_domain
from pause.export import render_markdown
from pause.keys import session_secret
from pause.repository import ReflectionRepository, StoreUnavailable
from pause.settings import PROJECT_ROOT, Settings, load_settings
from webapp import health

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
#: The widget's self-contained UMD bundle (React included), installed by ``npm ci``.
WEBCHAT_BUNDLE = PROJECT_ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"
SOCKET_PATH = "/socket.io/"


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def content_security_policy(settings: Settings) -> str:
    """Return the page's CSP: own scripts only, sockets to the Rasa server only.

    Args:
        settings: Where the Rasa server is.

    Returns:
        The ``Content-Security-Policy`` header value.

    """
    rasa = settings.rasa_url
    socket = "ws" + rasa[len("http") :] if rasa.startswith("http") else rasa
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # The widget injects its stylesheet in <style> tags at run time.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self' {rasa} {socket}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        ]
    )


def render_index(settings: Settings, offer: str) -> str:
    """Return the page, with the Rasa server's address and a session offer filled in.

    The chat keeps the session id it already has (and with it the history); a new
    browser starts with ``offer``, which socket.io exchanges for a session id signed by
    the server (pause/sessions.py).
    """
    values = {
        "session_offer": offer,
        "socket_url": settings.rasa_url,
        "socket_path": SOCKET_PATH,
        "export_minutes": str(max(1, settings.export_ttl_seconds // 60)),
    }
    return _template("index.html").substitute({k: html.escape(v) for k, v in values.items()})


def _load_domain() -> Dict[str, Any]:
    return load_domain()


def export_filename(now: Optional[datetime] = None) -> str:
    """Return the download's file name, dated today (UTC)."""
    return f"pause-reflections-{(now or datetime.now(timezone.utc)):%Y-%m-%d}.md"


def create_app(settings: Optional[Settings] = None, name: str = "pause_web") -> Sanic:
    """Build the web app.

    Args:
        settings: The settings to serve with (the environment's by default).
        name: The Sanic app's name (unique per process; tests build several).

    Returns:
        The app, ready to ``run``.

    """
    settings = settings or load_settings()
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "text"
    app.ctx.settings = settings
    app.ctx.repository = ReflectionRepository(settings.reflections_db_url)
    app.ctx.domain = _load_domain()
    secret = session_secret(settings)
    policy = content_security_policy(settings)
    pages = {
        page_name: _template(f"{page_name}.html").substitute()
        for page_name in ("link_invalid", "store_unavailable")
    }

    app.static("/static/vendor/webchat.js", str(WEBCHAT_BUNDLE), name="webchat")
    app.static("/static", str(STATIC), name="static")
    if not WEBCHAT_BUNDLE.exists():
        logger.warning("No chat widget at %s: run `npm ci --ignore-scripts`.", WEBCHAT_BUNDLE)

    @app.on_response
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        page = render_index(settings, sessions.issue_offer(secret))
        return html_response(page, headers={"Cache-Control": "no-store"})

    @app.get("/health")
    async def health_check(request: Request) -> HTTPResponse:
        status, body = await health.check(settings)
        return json(body, status=status, headers={"Cache-Control": "no-store"})

    @app.get("/export/<token:str>")
    async def export(request: Request, token: str) -> HTTPResponse:
        private = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
        user_id = links.verify(token, settings.export_secret)
        if user_id is None:
            return html_response(pages["link_invalid"], status=403, headers=private)
        loop = asyncio.get_running_loop()
        try:
            reflections = await loop.run_in_executor(None, app.ctx.repository.for_user, user_id)
        except StoreUnavailable:
            return html_response(pages["store_unavailable"], status=503, headers=private)
        document = render_markdown(reflections, app.ctx.domain) + "\n"
        return raw(
            document.encode("utf-8"),
            content_type="text/markdown; charset=utf-8",
            headers={
                **private,
                "Content-Disposition": f'attachment; filename="{export_filename()}"',
            },
        )

    @app.after_server_stop
    async def close_store(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        app.ctx.repository.dispose()

    return app


def main() -> None:
    """Serve the app on ``RASA_HOST:WEB_PORT`` until interrupted."""
    settings = load_settings()
    app = create_app(settings)
    sanic_logger.info("Pause web page on %s", links.web_base_url(settings))
    # No access log: export URLs carry a token that names the person.
    app.run(host=settings.rasa_host, port=settings.web_port, access_log=False, motd=False)
