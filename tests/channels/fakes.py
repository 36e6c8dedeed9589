"""Fake Telegram Bot API and Slack Web API servers on loopback that record every call."""

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from aiohttp import web

from tests.servers import free_port

BOT_TOKEN = "123456:TEST-token"
BOT_USERNAME = "pause_test_bot"
SLACK_TOKEN = "xoxb-test-token"
SLACK_BOT_USER = "UPAUSEBOT"


@dataclass
class Call:
    """One API call the assistant made."""

    method: str
    params: Dict[str, Any]
    files: Dict[str, Tuple[str, bytes]] = field(default_factory=dict)

    def json(self, name: str) -> Any:
        """A parameter that the client sent JSON-encoded (reply_markup, blocks, files)."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


async def _read(request: web.Request) -> Tuple[Dict[str, Any], Dict[str, Tuple[str, bytes]]]:
    params: Dict[str, Any] = dict(request.query)
    files: Dict[str, Tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:  # type: ignore[union-attr]
            data = await part.read()  # type: ignore[union-attr]
            if part.filename:  # type: ignore[union-attr]
                files[str(part.name)] = (str(part.filename), bytes(data))  # type: ignore
            else:
                params[str(part.name)] = data.decode("utf-8")  # type: ignore[union-attr]
    elif request.can_read_body:
        params.update(await request.post())
    return params, files


class FakeApi:
    """An aiohttp server in its own thread; subclasses add the routes."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.calls: List[Call] = []
        self.fail: Set[str] = set()  # methods that answer with an API error
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: Optional[web.AppRunner] = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def start(self) -> "FakeApi":
        app = web.Application(client_max_size=50 * 1024 * 1024)
        self.routes(app)
        self._runner = web.AppRunner(app)
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            assert self._runner is not None
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            started.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        started.wait(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def mark(self) -> int:
        """Position in the call log, to read only what comes after it."""
        with self._lock:
            return len(self.calls)

    def since(self, mark: int, method: Optional[str] = None) -> List[Call]:
        with self._lock:
            return [c for c in self.calls[mark:] if method is None or c.method == method]

    def wait(self, found: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not found():
            if time.monotonic() > deadline:
                raise TimeoutError("the fake API did not receive the expected calls")
            time.sleep(0.05)


class FakeTelegram(FakeApi):
    """The Bot API methods the connector uses (``/bot<token>/<method>``)."""

    def __init__(self) -> None:
        super().__init__()
        self._message_id = 1000

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != BOT_TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params, files = await _read(request)
        self.record(Call(method, params, files))
        if method in self.fail:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: test failure"},
                status=400,
            )
        return web.json_response({"ok": True, "result": self.result(method, params, files)})

    def result(self, method: str, params: Dict[str, Any], files: Dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "Pause", "username": BOT_USERNAME}
        if method not in ("sendMessage", "sendDocument", "editMessageText"):
            return True
        self._message_id += 1
        message: Dict[str, Any] = {
            "message_id": int(params.get("message_id") or self._message_id),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": 123456, "is_bot": True, "first_name": "Pause"},
        }
        if "text" in params:
            message["text"] = params["text"]
        if method == "sendDocument":
            name, content = files["document"]
            message["document"] = {
                "file_id": "DOC1",
                "file_unique_id": "U1",
                "file_name": name,
                "file_size": len(content),
            }
        return message

    def messages(self, chat_id: int, mark: int = 0) -> List[Call]:
        """sendMessage calls to ``chat_id`` after ``mark``."""
        return [c for c in self.since(mark, "sendMessage") if int(c.params["chat_id"]) == chat_id]


class FakeSlack(FakeApi):
    """The Web API methods the connector uses (``/api/<method>``) and a file upload URL."""

    def __init__(self) -> None:
        super().__init__()
        self._ts = 1_700_000_000
        self.uploads: Dict[str, bytes] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self.handle)
        app.router.add_post("/upload/{file_id}", self.upload)

    async def upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads[request.match_info["file_id"]] = body
        self.record(
            Call("upload", {"file_id": request.match_info["file_id"]}, {"file": ("", body)})
        )
        return web.Response(text="OK - ")

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await _read(request)
        if request.headers.get("Authorization") != f"Bearer {SLACK_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        self.record(Call(method, params, files))
        if method in self.fail:
            return web.json_response({"ok": False, "error": "test_failure"})
        return web.json_response({"ok": True, **self.result(method, params)})

    def result(self, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        if method == "auth.test":
            return {"user_id": SLACK_BOT_USER, "bot_id": "BPAUSE"}
        if method == "chat.postMessage":
            self._ts += 1
            ts = f"{self._ts}.000100"
            return {
                "channel": params["channel"],
                "ts": ts,
                "message": {
                    "type": "message",
                    "ts": ts,
                    "text": params.get("text"),
                    "bot_id": "BPAUSE",
                    "blocks": params.get("blocks"),
                },
            }
        if method == "chat.update":
            return {"channel": params["channel"], "ts": params["ts"], "text": params.get("text")}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1:04d}"
            return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {
                "files": [
                    {"id": f["id"], "title": f.get("title")} for f in json.loads(params["files"])
                ]
            }
        return {}

    def messages(self, channel: str, mark: int = 0) -> List[Call]:
        """chat.postMessage calls to ``channel`` after ``mark``."""
        return [c for c in self.since(mark, "chat.postMessage") if c.params["channel"] == channel]
