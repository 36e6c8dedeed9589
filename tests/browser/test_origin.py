"""socket.io accepts the web page's origin only (channels/socketio.py), over both transports."""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest
import requests
import websockets

from tests.browser.conftest import Stack

pytestmark = pytest.mark.browser

POLLING = "/socket.io/?EIO=4&transport=polling"


def allow_origin_headers(stack: Stack, origin: str, query: str = POLLING) -> List[str]:
    response = requests.get(f"{stack.rasa_url}{query}", headers={"Origin": origin}, timeout=10)
    return [response.status_code, *response.raw.headers.getlist("Access-Control-Allow-Origin")]


def test_polling_from_the_page_gets_exactly_one_cors_header(stack: Stack) -> None:
    # One header, not two: Sanic-CORS (rasa run --cors) must leave socket.io to Engine.IO.
    assert allow_origin_headers(stack, stack.base_url) == [200, stack.base_url]


def test_polling_from_another_site_is_refused(stack: Stack) -> None:
    assert allow_origin_headers(stack, "https://evil.example") == [400]


def test_websocket_from_another_site_is_refused(stack: Stack) -> None:
    url = stack.rasa_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"

    async def handshake(origin: str) -> str:
        try:
            async with websockets.connect(url, origin=origin) as socket:  # type: ignore[arg-type]
                return str(await socket.recv())[:1]  # "0" = Engine.IO open packet
        except websockets.InvalidStatusCode as refused:
            return str(refused.status_code)

    def run(origin: str) -> str:  # in a thread: Playwright's sync API owns this one's loop
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, handshake(origin)).result(timeout=30)

    assert run(stack.base_url) == "0"
    assert run("https://evil.example") == "400"


def test_old_socket_io_clients_cannot_connect(stack: Stack) -> None:
    # Why rasa-webchat is pinned to 1.x: 0.11 bundles socket.io-client 2 (Engine.IO v3),
    # which python-socketio 5 refuses.
    status = allow_origin_headers(stack, stack.base_url, "/socket.io/?EIO=3&transport=polling")
    assert status[0] == 400
