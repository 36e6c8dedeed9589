"""Whether the Rasa server and the action server answer."""

import asyncio
from typing import Any, Dict, Tuple

import aiohttp

from pause.settings import Settings

#: Seconds to wait for each server before calling it down.
PROBE_TIMEOUT = 3.0


async def probe(session: aiohttp.ClientSession, url: str) -> Dict[str, Any]:
    """GET ``url`` and describe the answer.

    Args:
        session: The HTTP client session to use.
        url: The URL to ask.

    Returns:
        ``{"up": bool, "status": <HTTP status>}`` or ``{"up": False, "error": <kind>}``.

    """
    try:
        async with session.get(url) as response:
            return {"up": response.status == 200, "status": response.status}
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
        return {"up": False, "error": type(error).__name__}


async def check(settings: Settings) -> Tuple[int, Dict[str, Any]]:
    """Ask both servers at once.

    Args:
        settings: Where the servers are.

    Returns:
        The HTTP status for ``/health`` (200 if both are up, else 503) and its JSON body.

    """
    timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        rasa, actions = await asyncio.gather(
            probe(session, f"{settings.rasa_url}/"),
            probe(session, f"http://{settings.rasa_host}:{settings.action_port}/health"),
        )
    healthy = rasa["up"] and actions["up"]
    body = {"status": "ok" if healthy else "unavailable", "rasa": rasa, "action_server": actions}
    return (200 if healthy else 503), body
