"""Clients of the adversarial suite (test_attacks.py): the stack, a socket.io client, dumps."""

import asyncio
import http.client
import secrets
import sqlite3
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
import socketio
import yaml

from tests.channels.clients import Assistant, credentials
from tests.channels.fakes import FakeSlack, FakeTelegram
from tests.e2e.conftest import ROOT, serve
from tests.servers import _postgres_bin, free_port

PER_SENDER, PER_IP = 20, 400


class Stack:
    """Action server, Rasa server (every channel) and web page, started by serve.start."""

    def __init__(self, tmp: Path, telegram: FakeTelegram, slack: FakeSlack, **extra: str) -> None:
        web_port = free_port()
        self.overrides = {
            "PAUSE_VAR_DIR": str(tmp / "var"),
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "WEB_PORT": str(web_port),
            "WEB_ORIGIN": f"http://127.0.0.1:{web_port}",
            "REFLECTIONS_DB_URL": f"sqlite:///{tmp / 'var' / 'reflections.db'}",
            "TRACKER_DB_URL": f"sqlite:///{tmp / 'var' / 'tracker.db'}",
            "RASA_API_TOKEN": secrets.token_urlsafe(24),
            "PLAINTEXT_GATEWAY_SECRET": secrets.token_urlsafe(24),
            "RATE_LIMIT_PER_SENDER": str(PER_SENDER),
            "RATE_LIMIT_PER_IP": str(PER_IP),
            **extra,
        }
        self.var = tmp / "var"
        self.url = f"http://127.0.0.1:{self.overrides['RASA_PORT']}"
        self.web = self.overrides["WEB_ORIGIN"]
        self.token = self.overrides["RASA_API_TOKEN"]
        self.credentials = tmp / "credentials.yml"
        self.credentials.write_text(
            yaml.safe_dump(
                {
                    **credentials(telegram, slack),
                    "channels.socketio.OriginCheckedSocketIOInput": {
                        "user_message_evt": "user_uttered",
                        "bot_message_evt": "bot_uttered",
                        "session_persistence": True,
                    },
                }
            )
        )
        self.client = Assistant(self.url, telegram, slack, self.token)
        self.servers: Any = None

    def start(self) -> "Stack":
        log_dir = ROOT / "artifacts" / "logs" / "e2e-attacks"
        self.servers = serve.start(
            self.overrides, log_dir=log_dir, credentials=self.credentials, web=True
        )
        return self

    def stop(self) -> None:
        if self.servers is not None:
            self.servers.stop()
            self.servers = None

    def rest(self, sender: str, message: str, **headers: str) -> requests.Response:
        return requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            headers={"Authorization": f"Bearer {self.token}", **headers},
            timeout=120,
        )

    def plain(self, sender: str, message: str) -> requests.Response:
        return requests.post(
            f"{self.url}/webhooks/plaintext/webhook",
            json={"sender": sender, "message": message},
            headers={"X-Gateway-Secret": self.overrides["PLAINTEXT_GATEWAY_SECRET"]},
            timeout=120,
        )

    def events(self, conversation: str) -> List[Dict[str, Any]]:
        response = requests.get(
            f"{self.url}/conversations/{conversation}/tracker",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert response.status_code == 200
        return [e for e in response.json()["events"] if e.get("event") == "user"]


class Socket:
    """A socket.io client as the widget is one: Origin of the page, the widget's events."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = socketio.AsyncClient(reconnection=False)
        self.confirmed: List[str] = []
        self.uttered: List[Dict[str, Any]] = []
        self.disconnected = asyncio.Event()
        self.kept_open = False
        self.client.on("session_confirm", self.confirmed.append)
        self.client.on("bot_uttered", self.uttered.append)
        self.client.on("disconnect", self.disconnected.set)

    async def __aenter__(self) -> "Socket":
        await self.client.connect(
            self.stack.url, headers={"Origin": self.stack.web}, transports=["polling"]
        )
        return self

    async def __aexit__(self, *args: Any) -> None:
        if self.client.connected:
            await self.client.disconnect()

    async def request(self, session_id: Optional[str]) -> None:
        await self.client.emit("session_request", {"session_id": session_id})

    async def open(self, offer_or_id: str) -> str:
        """Ask for a session as the widget does; return the id the server confirms."""
        await self.request(offer_or_id)
        for _ in range(100):
            if self.confirmed:
                return self.confirmed[-1]
            await asyncio.sleep(0.1)
        raise AssertionError("no session_confirm")

    async def say(self, session_id: Optional[str], text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id})

    async def settle(self, seconds: float = 4.0) -> None:
        try:
            await asyncio.wait_for(self.disconnected.wait(), seconds)
        except asyncio.TimeoutError:
            pass


def page_offer(stack: Stack) -> str:
    """The signed session offer the web page hands a new browser."""
    page = requests.get(f"{stack.web}/", timeout=30).text
    return page.split('data-session-offer="', 1)[1].split('"', 1)[0]


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


def post_from(address: str, url: str, body: bytes, headers: Dict[str, str]) -> int:
    """POST from another loopback address (a second client IP)."""
    host, port = url.split("//")[1].split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=30, source_address=(address, 0)
    )
    try:
        connection.request("POST", "/webhooks/rest/webhook", body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def sqlite_dump(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def pg_dump(postgres: Any, url: str) -> str:
    database = url.rsplit("/", 1)[1]
    command = [_postgres_bin("pg_dump"), "-h", "127.0.0.1", "-p", str(postgres.port),
               "-U", "postgres", "--data-only", database]
    return subprocess.run(
        [*postgres._as_user, *command], check=True, capture_output=True, text=True
    ).stdout
