"""The map's aggregation (pure functions)."""

import pytest

from actions.insights import (
    Phrases,
    build_map,
    describe_minutes,
    observation_response,
    wait_minutes,
)
from pause.domain import load_domain
from pause.repository import Reflection

SAY = Phrases(load_domain())  # the map's phrases are the domain's utter_map_* responses
NOT_YET = "not enough yet"


def r(signal: str = None, **answers: str) -> Reflection:  # type: ignore[assignment]
    return Reflection(id="x", user_id="u", channel="rest", signal=signal, answers=answers)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("an hour", 60),
        ("2 hours", 120),
        ("until tonight", 360),
        ("a day", 1440),
        ("a few days", 4320),
        ("30 min", 30),
        ("ten minutes", 10),
        ("a week", 10080),
        ("tomorrow", 1440),
        ("honestly not at all", 0),
        ("no clue", None),
    ],
)
def test_wait_minutes(text: str, minutes: float) -> None:
    assert wait_minutes(text) == minutes


def test_describe_minutes() -> None:
    assert [describe_minutes(m, SAY) for m in (5, 60, 90, 1440, 4320)] == [
        "5 minutes",
        "1 hour",
        "1.5 hours",
        "1 day",
        "3 days",
    ]


def test_empty_parts_say_not_yet() -> None:
    summary = build_map([r(noticed="something")], SAY)
    assert summary.top_triggers == summary.top_reasons == summary.verdict_split == NOT_YET
    assert summary.wait_summary == NOT_YET and summary.top_signals == "something (1)"
    assert observation_response(summary) == "utter_map_observation_general"


def test_signals_use_labels_and_skips_are_ignored() -> None:
    summary = build_map(
        [
            r("urge_to_run", before="skipped"),
            r("urge_to_run"),
            r(None, noticed="Numb"),
        ],
        SAY,
    )
    assert summary.top_signals == "an urge to run after a close moment (2), numb (1)"
    assert summary.top_triggers == NOT_YET


def test_closeness_observation() -> None:
    summary = build_map(
        [
            r(before="the weekend was amazing", verdict="real"),
            r(before="he said he loves me", verdict="not sure"),
        ],
        SAY,
    )
    assert summary.closeness_share == 1.0 and summary.protection_share == 0.0
    assert observation_response(summary) == "utter_map_observation_closeness"
