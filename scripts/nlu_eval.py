"""Evaluate the trained model's NLU on labelled sets, in-process, as the running server parses.

A set is a folder (or file) of Rasa NLU YAML. Each message gets one label: its intent, or
``faq/<key>`` for a question (the ResponseSelector's topic), so "accuracy" below is intent
plus topic. Used by the NLU gate (scripts/nlu_gate.py) and the benchmark
(benchmarks/nlu_benchmark.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

from pause import intents
from pause.crisis_bank import bank_lines as read_lines  # noqa: F401  (the same file format)
from pause.safety_check import SAFETY_CHECK_KEY

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "pause.tar.gz"
CRISIS = intents.CRISIS
#: The blind rounds, newest first: round -> (its folder under tests/, its everyday lines in
#: tests/safety/, its mixed messages in tests/mixed/). The gate, the benchmark and the data
#: tests read them from here, so a new round is one line.
BLIND_ROUNDS: Dict[int, Tuple[str, str, str]] = {
    12: ("nlu_realistic8", "everyday12", "mixed12"),
    8: ("nlu_realistic4", "everyday8", "mixed8"),
    7: ("nlu_realistic3", "everyday7", "mixed7"),
    6: ("nlu_realistic2", "everyday6", "mixed6"),
}
#: Spent rounds kept whole as regression sets in their own folders, the same shape: a blind
#: round whose errors were studied moves here from BLIND_ROUNDS (its floors move to the gate's
#: SPENT_ROUND_FLOORS). Rounds 1-4 live together in tests/nlu_realistic/ (the gate splits them).
SPENT_ROUNDS: Dict[int, Tuple[str, str, str]] = {
    11: ("nlu_realistic/round11", "everyday11", "mixed11"),
    10: ("nlu_realistic/round10", "everyday10", "mixed10"),
    9: ("nlu_realistic/round9", "everyday9", "mixed9"),
    5: ("nlu_realistic/round5", "everyday5", "mixed5"),
}
#: The other spent everyday lines (tests/safety/) and mixed messages (tests/mixed/), beside the
#: rounds' own: rounds 1-4, the first set and the crisis reader's study set.
OTHER_EVERYDAY = ("everyday_study8", "everyday4", "everyday_round3", "everyday_round2",
                  "everyday", "everyday_regression")
OTHER_MIXED = ("mixed3", "mixed2", "mixed")
MOMENT = intents.MOMENT


def normal(text: str) -> str:
    """A line's words, lower-cased: how the data tests and dedup compare lines.

    A line with no letters or digits (emoji only) is compared as it is.
    """
    return " ".join(re.findall(r"[a-z0-9']+", text.lower())) or text.strip()


def read_set(path: Path) -> List[Tuple[str, str]]:
    """(text, label) pairs of every NLU YAML file at ``path``."""
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
    pairs: List[Tuple[str, str]] = []
    for file in files:
        for block in yaml.safe_load(file.read_text()).get("nlu") or []:
            if "intent" in block:
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        pairs.append((line.strip()[2:].strip(), str(block["intent"])))
    return pairs


def label_of(parse: Dict[str, Any]) -> str:
    """The label a parse result gives: the intent, or faq/<key> for a question."""
    intent = str((parse.get("intent") or {}).get("name") or "")
    if intent == "faq":
        response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response")
        return str((response or {}).get("intent_response_key") or "faq")
    return intent


def shows_help(parse: Dict[str, Any]) -> bool:
    """Whether the reply to a parse gives where to find help: crisis, or the help line first."""
    return label_of(parse) == CRISIS or bool(parse.get(SAFETY_CHECK_KEY))


class Parser:
    """The model loaded once; ``parse`` is what POST /model/parse answers."""

    def __init__(self, model: Path = MODEL) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import logging

        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        # Rasa's debug log repeats each text with its prediction: that would print the blind
        # sets' answers into every CI log.
        logging.getLogger().setLevel(logging.WARNING)
        configure_structlog(logging.WARNING)

        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(str(model))

    def parse(self, text: str) -> Dict[str, Any]:
        """The parse result of ``text``."""
        result = self._loop.run_until_complete(self._agent.parse_message(text))
        return dict(result)

    def timed(self, text: str) -> Tuple[Dict[str, Any], float]:
        """The parse result and the seconds it took."""
        start = time.perf_counter()
        result = self.parse(text)
        return result, time.perf_counter() - start


@dataclass
class Report:
    """Predictions on one set, and the figures drawn from them."""

    name: str
    gold: List[str] = field(default_factory=list)
    predicted: List[str] = field(default_factory=list)
    texts: List[str] = field(default_factory=list)
    #: Per message: the reply gives where to find help (crisis, or the help line first).
    helped: List[bool] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of messages whose intent (and topic) is right."""
        hits = sum(g == p for g, p in zip(self.gold, self.predicted, strict=True))
        return hits / max(len(self.gold), 1)

    def recall(self, label: str) -> float:
        """Recall of ``label`` (nan when the set has none)."""
        rows = [p for g, p in zip(self.gold, self.predicted, strict=True) if g == label]
        return sum(p == label for p in rows) / len(rows) if rows else float("nan")

    def help_recall(self, label: str = CRISIS) -> float:
        """Share of ``label``'s messages whose reply gives where to find help (nan: none)."""
        rows = [h for g, h in zip(self.gold, self.helped, strict=True) if g == label]
        return sum(rows) / len(rows) if rows else float("nan")

    def per_label(self) -> Dict[str, Tuple[float, float, int]]:
        """Label -> (precision, recall, support)."""
        table = {}
        for label in sorted(set(self.gold)):
            tp = sum(g == p == label for g, p in zip(self.gold, self.predicted, strict=True))
            predicted = sum(p == label for p in self.predicted)
            support = sum(g == label for g in self.gold)
            precision = tp / predicted if predicted else 0.0
            table[label] = (precision, tp / support, support)
        return table

    def errors(self) -> List[Tuple[str, str, str]]:
        """(gold, predicted, text) of every miss."""
        rows = zip(self.gold, self.predicted, self.texts, strict=True)
        return [(g, p, t) for g, p, t in rows if g != p]

    def print(self, show_errors: int = 0) -> None:
        """Prints the figures, and the first ``show_errors`` misses."""
        print(f"\n{self.name}: {len(self.gold)} messages, intent+topic accuracy "
              f"{self.accuracy:.3f}")
        print(f"  {'label':<40} {'prec':>6} {'recall':>6} {'n':>4}")
        for label, (precision, recall, support) in self.per_label().items():
            print(f"  {label:<40} {precision:>6.3f} {recall:>6.3f} {support:>4}")
        if CRISIS in self.gold:
            print(f"  crisis messages given crisis resources or the help line: "
                  f"{self.help_recall():.3f}")
        for gold, predicted, text in self.errors()[:show_errors]:
            print(f"  miss: {gold:<32} -> {predicted:<32} {text[:60]}")


def evaluate(parser: Parser, name: str, pairs: Iterable[Tuple[str, str]]) -> Report:
    report = Report(name)
    for text, gold in pairs:
        report.texts.append(text)
        report.gold.append(gold)
        parse = parser.parse(text)
        report.predicted.append(label_of(parse))
        report.helped.append(shows_help(parse))
    return report


def false_positives(parser: Parser, lines: List[str]) -> Tuple[List[str], List[str]]:
    """The everyday lines read as crisis, and those (not crisis) given the help line first."""
    crisis: List[str] = []
    help_line: List[str] = []
    for line in lines:
        parse = parser.parse(line)
        if label_of(parse) == CRISIS:
            crisis.append(line)
        elif shows_help(parse):
            help_line.append(line)
    return crisis, help_line


def mixed_results(parser: Parser, path: Path) -> Tuple[int, int, int]:
    """(messages, moment recognised, question answered with the right topic)."""
    items = yaml.safe_load(path.read_text()) or []
    moments = topics = 0
    for item in items:
        parse = parser.parse(item["text"])
        label = label_of(parse)
        moments += bool(parse.get("pause_moment")) or label == MOMENT
        ranking = ((parse.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
        top = str(ranking[0].get("intent_response_key")) if ranking else ""
        topics += top == f"faq/{item['question']}"
    return len(items), moments, topics


def latency(parser: Parser, text: str, runs: int = 30) -> Tuple[float, float]:
    """(p50, p95) in milliseconds of parsing ``text``, after one warm-up."""
    parser.parse(text)
    times = sorted(parser.timed(text)[1] * 1000 for _ in range(runs))
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def label_counts(pairs: Iterable[Tuple[str, str]]) -> Counter:
    return Counter(label for _, label in pairs)


def optional(path: Path) -> Optional[Path]:
    return path if path.exists() else None
