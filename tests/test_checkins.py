"""Check-ins: parsing times, quiet hours, back-off, and claiming (SQLite and PostgreSQL)."""

import threading
import uuid
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterator, List
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pause.checkins import (
    ACTED,
    OTHER,
    PASSED,
    TALK,
    QuietHours,
    backoff,
    outcome_of,
    parse_due,
)
from pause.repository import Reflection, ReflectionRepository
from pause.settings import load_settings
from scheduler.loop import PageClosed, Scheduler
from stores.checkins import (
    ANSWERED,
    CANCELLED,
    CLAIMED,
    FAILED,
    HELD,
    PENDING,
    SENT,
    Checkin,
    CheckinStore,
)

BERLIN = ZoneInfo("Europe/Berlin")
#: A Wednesday afternoon in Berlin.
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    "text, due",
    [
        ("in 20 minutes", NOW + timedelta(minutes=20)),
        ("an hour", NOW + timedelta(hours=1)),
        ("a couple of hours", NOW + timedelta(hours=2)),
        ("half an hour", NOW + timedelta(minutes=30)),
        ("3 days", NOW + timedelta(days=3)),
        ("until tomorrow", datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)),
        ("tomorrow evening", datetime(2026, 11, 26, 20, 30, tzinfo=BERLIN)),
        ("after the weekend", datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)),
        ("next week", datetime(2026, 12, 2, 9, 0, tzinfo=BERLIN)),
        ("until tonight", datetime(2026, 11, 25, 20, 30, tzinfo=BERLIN)),
        ("Later tonight", datetime(2026, 11, 25, 20, 30, tzinfo=BERLIN)),
    ],
)
def test_free_text_times(text: str, due: datetime) -> None:
    assert parse_due(text, NOW, BERLIN) == due


@pytest.mark.parametrize("text", ["not at all", "I don't know", "skipped", "", None])
def test_no_time_named(text: str) -> None:
    assert parse_due(text, NOW, BERLIN) is None


def test_tonight_when_the_evening_has_begun_is_soon() -> None:
    late = datetime(2026, 11, 25, 21, 0, tzinfo=BERLIN)
    assert parse_due("tonight", late, BERLIN) == late + timedelta(minutes=30)


def test_after_the_weekend_on_a_sunday_is_the_next_day() -> None:
    sunday = datetime(2026, 11, 29, 11, 0, tzinfo=BERLIN)
    assert parse_due("after the weekend", sunday, BERLIN) == datetime(
        2026, 11, 30, 9, 0, tzinfo=BERLIN
    )


def test_times_are_read_in_the_persons_zone() -> None:
    utc_now = datetime(2026, 11, 25, 23, 30, tzinfo=timezone.utc)  # 08:30 in Tokyo
    tokyo = ZoneInfo("Asia/Tokyo")
    assert parse_due("tomorrow", utc_now, tokyo) == datetime(2026, 11, 27, 9, 0, tzinfo=tokyo)


def test_quiet_hours_wrap_midnight() -> None:
    quiet = QuietHours.parse("22:00-08:00")
    assert quiet.contains(datetime(2026, 11, 25, 23, 0, tzinfo=BERLIN))
    assert quiet.contains(datetime(2026, 11, 25, 7, 59, tzinfo=BERLIN))
    assert not quiet.contains(datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN))
    assert not quiet.contains(datetime(2026, 11, 25, 21, 59, tzinfo=BERLIN))


def test_quiet_hours_move_a_due_time_to_the_morning() -> None:
    quiet = QuietHours.parse("22:00-08:00")
    late = datetime(2026, 11, 25, 23, 15, tzinfo=BERLIN)
    early = datetime(2026, 11, 26, 3, 0, tzinfo=BERLIN)
    morning = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    assert quiet.next_allowed(late, BERLIN) == morning
    assert quiet.next_allowed(early, BERLIN) == morning
    assert quiet.next_allowed(NOW, BERLIN) == NOW


def test_quiet_hours_are_read_in_the_given_zone() -> None:
    quiet = QuietHours.parse("22:00-08:00")
    moment = datetime(2026, 11, 25, 22, 30, tzinfo=timezone.utc)  # 23:30 in Berlin
    assert quiet.next_allowed(moment, BERLIN) == datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    assert quiet.next_allowed(moment, ZoneInfo("America/New_York")) == moment  # 17:30 there


def test_daytime_quiet_hours_and_none() -> None:
    assert QuietHours.parse("12:00-13:00").contains(datetime(2026, 1, 1, 12, 30))
    off = QuietHours.parse("off")
    assert not off.contains(datetime(2026, 1, 1, 23, 0)) and off == QuietHours.parse("")
    assert off.start == off.end == time(0, 0)


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20, 30, cap_seconds=600) == timedelta(seconds=600)


@pytest.mark.parametrize(
    "answer, outcome",
    [
        ("passed", (PASSED, None)),
        ("acted", (ACTED, None)),
        ("talk", (TALK, None)),
        ("it passed after an hour", (PASSED, "it passed after an hour")),
        ("I didn't text him in the end", (PASSED, "I didn't text him in the end")),
        ("I broke up with her", (ACTED, "I broke up with her")),
        ("it's complicated", (TALK, "it's complicated")),
        ("we went for a walk", (OTHER, "we went for a walk")),
    ],
)
def test_outcomes(answer: str, outcome: tuple) -> None:
    assert outcome_of(answer) == outcome


# --- the store ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def repo(request, tmp_path: Path) -> Iterator[ReflectionRepository]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reflections.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"c_{uuid.uuid4().hex[:12]}")
    repository = ReflectionRepository(url)
    yield repository
    repository.dispose()


T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def due_checkin(repo: ReflectionRepository, user: str = "telegram:1", minutes: int = 60) -> Checkin:
    item = Reflection(id=uuid.uuid4().hex, user_id=user, channel="telegram", answers={})
    repo.save(item)
    checkin = repo.checkins.schedule(item.id, user, "telegram", T0 + timedelta(minutes=minutes), T0)
    assert checkin is not None
    return checkin


def status(repo: ReflectionRepository, checkin: Checkin) -> str:
    found = repo.checkins.get(checkin.id, checkin.user_id)
    assert found is not None
    return found.status


def test_one_checkin_per_reflection(repo: ReflectionRepository) -> None:
    first = due_checkin(repo)
    again = repo.checkins.schedule(first.reflection_id, first.user_id, "telegram", T0, T0)
    assert again is None
    assert [c.id for c in repo.checkins.for_user(first.user_id)] == [first.id]


def test_nothing_is_claimed_before_it_is_due(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=60)
    assert repo.checkins.claim_due("a", T0 + timedelta(minutes=59), 120) == []
    [claimed] = repo.checkins.claim_due("a", T0 + timedelta(minutes=60), 120)
    assert claimed.id == checkin.id and claimed.status == CLAIMED and claimed.claimed_by == "a"
    assert repo.checkins.claim_due("b", T0 + timedelta(minutes=61), 120) == []


def test_a_lapsed_lease_can_be_claimed_again_but_sent_once(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    [first] = repo.checkins.claim_due("a", T0, lease_seconds=120)
    [second] = repo.checkins.claim_due("b", T0 + timedelta(seconds=121), lease_seconds=120)
    assert first.id == second.id == checkin.id and second.claimed_by == "b"
    assert repo.checkins.mark_sent(checkin.id, checkin.user_id, T0) is True
    assert repo.checkins.mark_sent(checkin.id, checkin.user_id, T0) is False
    assert repo.checkins.claim_due("c", T0 + timedelta(hours=9), 120) == []
    assert status(repo, checkin) == SENT


def test_only_the_owner_marks_it_sent(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    repo.checkins.claim_due("a", T0, 120)
    assert repo.checkins.mark_sent(checkin.id, "telegram:someone-else", T0) is False
    assert repo.checkins.get(checkin.id, "telegram:someone-else") is None
    assert status(repo, checkin) == CLAIMED


def test_concurrent_claimers_split_the_rows(repo: ReflectionRepository) -> None:
    made = {due_checkin(repo, user=f"telegram:{n}", minutes=0).id for n in range(12)}
    stores = [CheckinStore(ReflectionRepository(repo._url).engine) for _ in range(4)]
    got: List[List[str]] = [[] for _ in stores]
    barrier = threading.Barrier(len(stores))

    def claim(index: int) -> None:
        barrier.wait()
        for _ in range(5):
            got[index] += [c.id for c in stores[index].claim_due(f"w{index}", T0, 120, limit=3)]

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [checkin_id for ids in got for checkin_id in ids]
    assert sorted(everything) == sorted(made)  # each row once, by exactly one claimer


def test_release_retry_and_fail(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    repo.checkins.claim_due("a", T0, 120)
    assert repo.checkins.release(checkin.id, "b", T0, T0, "x") is False  # not b's claim
    assert repo.checkins.release(checkin.id, "a", T0, T0 + timedelta(minutes=1), "HTTP 500")
    assert repo.checkins.claim_due("a", T0 + timedelta(seconds=59), 120) == []
    [again] = repo.checkins.claim_due("a", T0 + timedelta(minutes=1), 120)
    assert again.attempts == 1 and again.status == CLAIMED
    assert repo.checkins.fail(checkin.id, "a", T0, "HTTP 500")
    assert status(repo, checkin) == FAILED
    assert repo.checkins.claim_due("a", T0 + timedelta(days=9), 120) == []


def test_stop_and_resume(repo: ReflectionRepository) -> None:
    waiting = due_checkin(repo, minutes=60)
    sent = due_checkin(repo, minutes=0)
    repo.checkins.claim_due("a", T0, 120)
    repo.checkins.mark_sent(sent.id, sent.user_id, T0)
    assert repo.checkins.cancel_for_user(waiting.user_id, T0) == 1
    assert (status(repo, waiting), status(repo, sent)) == (CANCELLED, SENT)
    assert repo.checkins.claim_due("a", T0 + timedelta(hours=2), 120) == []
    assert repo.checkins.resume_for_user(waiting.user_id, T0) == 1
    assert status(repo, waiting) == PENDING
    assert [c.id for c in repo.checkins.claim_due("a", T0 + timedelta(hours=2), 120)] == [
        waiting.id
    ]


def test_answered_and_logged_on_the_reflection(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    repo.checkins.claim_due("a", T0, 120)
    assert repo.checkins.mark_answered(checkin.id, checkin.user_id, T0) is False  # not sent
    repo.checkins.mark_sent(checkin.id, checkin.user_id, T0)
    assert repo.checkins.mark_answered(checkin.id, checkin.user_id, T0)
    at = T0 + timedelta(hours=3)
    assert repo.log_outcome(checkin.user_id, checkin.reflection_id, OTHER, "we talked", at)
    assert not repo.log_outcome("telegram:other", checkin.reflection_id, PASSED, None, at)
    back = repo.get(checkin.user_id, checkin.reflection_id)
    assert back is not None and (back.outcome, back.outcome_words) == (OTHER, "we talked")
    assert back.outcome_at == at and status(repo, checkin) == ANSWERED
    with repo.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT outcome_words FROM reflections")).scalar_one()
    assert "we talked" not in stored  # encrypted at rest


def test_forget_me_deletes_the_checkins(repo: ReflectionRepository) -> None:
    mine = due_checkin(repo, user="telegram:1")
    theirs = due_checkin(repo, user="telegram:2")
    repo.delete_user("telegram:1")
    assert repo.checkins.for_user("telegram:1") == []
    assert [c.id for c in repo.checkins.for_user("telegram:2")] == [theirs.id]
    assert repo.checkins.get(mine.id, "telegram:1") is None


def test_an_older_store_gains_the_outcome_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE reflections (id VARCHAR(32) PRIMARY KEY, user_id VARCHAR(255) "
                "NOT NULL, channel VARCHAR(64) NOT NULL, signal VARCHAR(64), status VARCHAR(16) "
                "NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, "
                "noticed TEXT, before TEXT, body TEXT, reason TEXT, verdict TEXT, wait TEXT, "
                "step TEXT)"
            )
        )
    engine.dispose()
    repo = ReflectionRepository(url)
    checkin = due_checkin(repo)
    assert repo.log_outcome(checkin.user_id, checkin.reflection_id, PASSED, None, T0)
    names = {c["name"] for c in sa.inspect(repo.engine).get_columns("reflections")}
    assert {"outcome", "outcome_words", "outcome_at"} <= names
    repo.dispose()


# --- the scheduler --------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def scheduler(
    repo: ReflectionRepository,
    clock: Clock,
    deliver,
    quiet: str = "off",  # type: ignore[no-untyped-def]
) -> Scheduler:
    settings = load_settings(
        {
            "CHECKIN_QUIET_HOURS": quiet,
            "CHECKIN_TIMEZONE": "Europe/Berlin",
            "CHECKIN_RETRY_SECONDS": "30",
            "CHECKIN_MAX_ATTEMPTS": "3",
        }
    )
    return Scheduler(repo.checkins, settings, deliver, clock, worker="w")


def test_the_scheduler_delivers_once(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=30)
    clock, delivered = Clock(T0), []

    def deliver(item: Checkin) -> None:  # what action_start_checkin does
        delivered.append(item.id)
        repo.checkins.mark_sent(item.id, item.user_id, clock.now)

    tick = scheduler(repo, clock, deliver).tick
    assert tick() == []
    clock.now = T0 + timedelta(minutes=30)
    assert tick() == ["delivered"] and tick() == []
    assert delivered == [checkin.id] and status(repo, checkin) == SENT


def test_two_schedulers_deliver_once(repo: ReflectionRepository) -> None:
    checkins = [due_checkin(repo, user=f"telegram:{n}", minutes=0) for n in range(6)]
    delivered: List[str] = []
    lock = threading.Lock()

    def deliver(item: Checkin) -> None:
        if repo.checkins.mark_sent(item.id, item.user_id, T0):
            with lock:
                delivered.append(item.id)

    other = ReflectionRepository(repo._url)
    first = scheduler(repo, Clock(T0), deliver)
    second = Scheduler(other.checkins, first.settings, deliver, Clock(T0), worker="v")
    threads = [threading.Thread(target=s.tick) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(delivered) == sorted(c.id for c in checkins)
    other.dispose()


def test_failed_deliveries_back_off_then_fail(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    clock = Clock(T0)

    def deliver(item: Checkin) -> None:
        raise ConnectionRefusedError()

    tick = scheduler(repo, clock, deliver).tick
    assert tick() == ["retry"]
    clock.now = T0 + timedelta(seconds=29)
    assert tick() == []
    clock.now = T0 + timedelta(seconds=30)
    assert tick() == ["retry"]  # then 60 s
    clock.now += timedelta(seconds=59)
    assert tick() == []
    clock.now += timedelta(seconds=1)
    assert tick() == ["failed"]
    clock.now += timedelta(days=1)
    assert tick() == [] and status(repo, checkin) == FAILED


def test_a_trigger_the_conversation_did_not_take_is_retried(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    tick = scheduler(repo, Clock(T0), lambda item: None).tick
    assert tick() == ["retry"] and status(repo, checkin) == PENDING


def test_quiet_hours_postpone_without_an_attempt(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    night = datetime(2026, 11, 25, 23, 0, tzinfo=BERLIN)
    clock = Clock(night)
    tick = scheduler(repo, clock, lambda item: None, quiet="22:00-08:00").tick
    assert tick() == ["postponed"]
    clock.now = datetime(2026, 11, 26, 7, 59, tzinfo=BERLIN)
    assert tick() == []
    found = repo.checkins.get(checkin.id, checkin.user_id)
    assert found is not None and found.attempts == 0
    assert found.due_at == datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)


def test_a_closed_page_holds_the_checkin_for_the_next_visit(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)

    def closed(item: Checkin) -> None:
        raise PageClosed()

    tick = scheduler(repo, Clock(T0), closed).tick
    assert tick() == ["held"] and status(repo, checkin) == HELD
    assert tick() == []  # the scheduler leaves it to the page
    assert repo.checkins.claim_held("telegram:other", "web", T0, 120) == []
    [taken] = repo.checkins.claim_held(checkin.user_id, "web", T0, 120)
    assert taken.id == checkin.id and taken.status == CLAIMED
    assert repo.checkins.claim_held(checkin.user_id, "web2", T0, 120) == []  # once
    assert repo.checkins.mark_sent(checkin.id, checkin.user_id, T0)


def test_stop_cancels_held_checkins_too(repo: ReflectionRepository) -> None:
    checkin = due_checkin(repo, minutes=0)
    repo.checkins.claim_due("w", T0, 120)
    assert repo.checkins.hold(checkin.id, "w", T0)
    assert repo.checkins.cancel_for_user(checkin.user_id, T0) == 1
    assert status(repo, checkin) == CANCELLED


def test_a_request_that_fails_after_the_question_was_asked_is_not_retried(
    repo: ReflectionRepository,
) -> None:
    checkin = due_checkin(repo, minutes=0)

    def asked_then_failed(item: Checkin) -> None:
        repo.checkins.mark_sent(item.id, item.user_id, T0)
        raise TimeoutError()

    tick = scheduler(repo, Clock(T0), asked_then_failed).tick
    assert tick() == ["delivered"] and status(repo, checkin) == SENT
