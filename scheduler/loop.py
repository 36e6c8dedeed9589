"""Claims due check-ins and delivers each through Rasa's API, with retries and back-off.

Each tick claims due rows (stores/checkins.py explains why no two schedulers get the
same row), then for each: inside quiet hours it is postponed to their end; otherwise
``POST /conversations/<sender>/trigger_intent?output_channel=latest`` with the API token
runs ``action_start_checkin``, which moves the row to ``sent`` and asks the question on
the person's own channel. A row still ``claimed`` afterwards, or a failed request, is
released to be retried after an exponential back-off, and marked ``failed`` after
``CHECKIN_MAX_ATTEMPTS``. Nothing is dropped silently; nothing a person wrote is logged.
"""

import json
import logging
import os
import signal
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, List, Optional

from pause.checkins import QuietHours, backoff, zone
from pause.intents import CHECKIN_DUE
from pause.keys import api_token
from pause.repository import ReflectionRepository
from pause.settings import Settings, load_settings
from stores.checkins import CLAIMED, Checkin, CheckinStore

logger = logging.getLogger("scheduler")

TRIGGER_INTENT = CHECKIN_DUE
WEB_CHANNEL = "socketio"
WEB_ROUTE = "/webhooks/socketio/checkin"  # channels/checkin_delivery.py
#: Channels that answer only a message: the check-in waits for the next one.
NEXT_MESSAGE_CHANNELS = frozenset({"rest", "plaintext"})
#: Delivery outcomes.
DELIVERED = "delivered"
HELD = "held"


class PageClosed(Exception):
    """The person's page is closed, or the channel answers only a message: keep it."""


def clock(settings: Settings) -> Callable[[], datetime]:
    """The scheduler's clock: UTC now, plus the offset a test wrote (tests only)."""
    path = Path(settings.test_clock_file) if settings.test_clock_file else None

    def now() -> datetime:
        offset = 0.0
        if path is not None and path.exists():
            text = path.read_text().strip()
            offset = float(text) if text else 0.0
        return datetime.now(timezone.utc) + timedelta(seconds=offset)

    return now


def trigger(settings: Settings, token: str, checkin: Checkin, timeout: float = 60) -> None:
    """Ask Rasa to run the check-in in ``checkin``'s conversation.

    A web page's check-in goes through the socket.io channel's route, which runs it only
    while the page is connected.

    Raises:
        PageClosed: The web page is not connected.
        OSError: The request failed (``urllib.error.URLError``/``HTTPError`` included).

    """
    if checkin.channel in NEXT_MESSAGE_CHANNELS:
        raise PageClosed()
    if checkin.channel == WEB_CHANNEL:
        url = f"{settings.rasa_url}{WEB_ROUTE}"
        body = json.dumps({"sender": checkin.user_id, "checkin": checkin.id})
    else:
        sender = urllib.parse.quote(checkin.user_id, safe=":")  # Sanic does not unquote %3A
        url = f"{settings.rasa_url}/conversations/{sender}/trigger_intent?output_channel=latest"
        body = json.dumps({"name": TRIGGER_INTENT, "entities": {"checkin": checkin.id}})
    request = urllib.request.Request(
        url,
        data=body.encode("utf-8"),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = response.read()
    if checkin.channel == WEB_CHANNEL and not json.loads(answer or b"{}").get("delivered"):
        raise PageClosed()


class Scheduler:
    """One scheduler; several may run against the same store at once."""

    def __init__(
        self,
        store: CheckinStore,
        settings: Settings,
        deliver: Callable[[Checkin], None],
        now: Callable[[], datetime],
        worker: Optional[str] = None,
    ) -> None:
        """Deliver ``store``'s due check-ins with ``deliver``, reading time from ``now``."""
        self.store = store
        self.settings = settings
        self.deliver = deliver
        self.now = now
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.quiet = QuietHours.parse(settings.checkin_quiet_hours)

    def tick(self) -> List[str]:
        """Handle every due check-in once; return what happened to each (for tests, logs)."""
        now = self.now()
        claimed = self.store.claim_due(self.worker, now, self.settings.checkin_lease_seconds)
        return [self._handle(checkin, now) for checkin in claimed]

    def _handle(self, checkin: Checkin, now: datetime) -> str:
        tz = zone(checkin.timezone or self.settings.checkin_timezone or None)
        allowed = self.quiet.next_allowed(now, tz)
        if allowed != now:
            self.store.postpone(checkin.id, self.worker, now, allowed)
            logger.info("Check-in %s postponed past quiet hours.", checkin.id)
            return "postponed"
        error = ""
        try:
            self.deliver(checkin)
        except PageClosed:
            self.store.hold(checkin.id, self.worker, now)
            logger.info("Check-in %s held for the next visit.", checkin.id)
            return HELD
        except (OSError, ValueError) as failure:  # URLError and HTTPError are OSErrors
            error = type(failure).__name__
            if isinstance(failure, urllib.error.HTTPError):
                error = f"HTTP {failure.code}"
        if not error:
            after = self.store.get(checkin.id, checkin.user_id)
            if after is None or after.status != CLAIMED:
                logger.info("Check-in %s delivered.", checkin.id)
                return DELIVERED
            error = "not taken by the conversation"  # e.g. another form was running
        return self._retry(checkin, now, error)

    def _retry(self, checkin: Checkin, now: datetime, error: str) -> str:
        after = self.store.get(checkin.id, checkin.user_id)
        if after is not None and after.status != CLAIMED:  # asked, though the request failed
            logger.warning("Check-in %s asked; its request then failed (%s).", checkin.id, error)
            return DELIVERED
        attempt = checkin.attempts + 1
        if attempt >= self.settings.checkin_max_attempts:
            self.store.fail(checkin.id, self.worker, now, error)
            logger.warning("Check-in %s failed after %d attempts (%s).", checkin.id, attempt, error)
            return "failed"
        retry_at = now + backoff(attempt, self.settings.checkin_retry_seconds)
        self.store.release(checkin.id, self.worker, now, retry_at, error)
        logger.warning("Check-in %s not delivered (%s); retry %d.", checkin.id, error, attempt)
        return "retry"


def main() -> int:
    """Run ticks every ``CHECKIN_POLL_SECONDS`` until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = load_settings()
    token = settings.api_token or api_token(settings)
    repository = ReflectionRepository(settings.reflections_db_url)
    running = [True]

    def stop(signum: int, frame: object) -> None:
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler: Optional[Scheduler] = None
    while running[0]:
        try:
            if scheduler is None:  # the store may not be reachable yet
                scheduler = Scheduler(
                    repository.checkins, settings, lambda c: trigger(settings, token, c),
                    clock(settings),
                )
            scheduler.tick()
        except Exception:  # keep running: a database blip must not stop check-ins
            logger.exception("Scheduler tick failed; trying again.")
        deadline = time.monotonic() + settings.checkin_poll_seconds
        while running[0] and time.monotonic() < deadline:
            time.sleep(0.2)
    repository.dispose()
    return 0
