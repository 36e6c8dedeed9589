"""Rate limits of the webhooks: per sender and per client IP, in this process's memory.

A sliding window per key (``RATE_LIMIT_PER_SENDER`` and ``RATE_LIMIT_PER_IP`` messages
per ``RATE_LIMIT_WINDOW_SECONDS``). Every channel limits each sender; the REST and
plain-text webhooks also limit each client address (Telegram's and Slack's requests all
come from the platforms' servers, and a forged one is refused by its secret first). A
request over a limit is answered 429 before its message reaches Rasa: nothing is stored.
The client IP is the connection's peer (``request.ip``): behind a proxy every client
shares its address, so set the IP limit for the proxy's total, or rate-limit at the
proxy. Counts are per process.
"""

import time
from collections import OrderedDict, deque
from typing import Callable, Deque, Dict, Optional

from sanic import response
from sanic.response import HTTPResponse

from pause.settings import Settings, load_settings


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (least recent keys dropped)."""

    def __init__(
        self,
        limit: int,
        window: float,
        capacity: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a limiter; ``clock`` is replaced in tests."""
        self.limit = limit
        self.window = window
        self._capacity = capacity
        self._clock = clock
        self._hits: OrderedDict[str, Deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Count one event of ``key``; False when it is over the limit (then not counted)."""
        if self.limit <= 0:
            return True
        now = self._clock()
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        self._hits[key] = hits
        while len(self._hits) > self._capacity:
            self._hits.popitem(last=False)
        return allowed


class Limits:
    """The per-sender and per-IP limiters of one Rasa server."""

    def __init__(self, settings: Settings) -> None:
        """Create both limiters from ``settings``."""
        window = settings.rate_window_seconds
        self.per_sender = RateLimiter(settings.rate_per_sender, window)
        self.per_ip = RateLimiter(settings.rate_per_ip, window)

    def check(self, ip: Optional[str] = None, sender: Optional[str] = None) -> bool:
        """Whether a message from ``ip`` and/or ``sender`` may go on."""
        if ip is not None and not self.per_ip.allow(ip):
            return False
        return sender is None or self.per_sender.allow(sender)


_limits: Dict[str, Limits] = {}


def limits() -> Limits:
    """This process's limiters (created on first use, from the environment's settings)."""
    if "default" not in _limits:
        _limits["default"] = Limits(load_settings())
    return _limits["default"]


def too_many() -> HTTPResponse:
    """The answer to a request over a limit."""
    return response.json(
        {"error": "too many messages: wait a little and try again"},
        status=429,
        headers={"Retry-After": "60"},
    )
