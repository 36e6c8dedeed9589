"""Measure the crisis safety net: hyperbole false positives and crisis recall.

Runs ``components.safety_net.match_crisis`` over a file of everyday hyperbole and
ordinary relationship messages (one per line; none should match) and over the
held-out crisis test set (every example should match). It measures and reports;
it never fails a build, so it always exits 0.

usage: python3 benchmarks/safety_false_positives.py [--hyperbole FILE] [--crisis FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_matcher() -> Callable[[str], str | None]:
    """Imports ``match_crisis`` with Rasa blocked, so no TensorFlow start-up is paid."""
    sys.modules.setdefault("rasa", None)  # type: ignore[arg-type]
    from components.safety_net import match_crisis

    return match_crisis


def read_lines(path: Path) -> list[str]:
    """Returns the non-empty lines of a text file, skipping ``#`` comments."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_intent_examples(path: Path, intent: str) -> list[str]:
    """Returns the examples of one intent from a Rasa 3 NLU YAML file.

    A small line parser (no YAML library) for the project's fixed layout:
    ``- intent: name`` / ``  examples: |`` / ``    - example``.
    """
    examples: list[str] = []
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("- intent:"):
            current = line.split(":", 1)[1].strip()
        elif current == intent and raw.startswith("    - "):
            examples.append(line[2:].strip())
    return examples


def report(title: str, hits: int, total: int) -> None:
    """Prints one ``title: hits/total (rate)`` line."""
    rate = hits / total if total else 0.0
    print(f"{title}: {hits}/{total} ({rate:.1%})")


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the results; always returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hyperbole",
        type=Path,
        default=ROOT / "benchmarks" / "data" / "hyperbole.txt",
        help="messages that must NOT be treated as crisis, one per line",
    )
    parser.add_argument(
        "--crisis",
        type=Path,
        default=ROOT / "tests" / "nlu" / "crisis.yml",
        help="Rasa NLU YAML file whose `crisis` examples must all match",
    )
    args = parser.parse_args(argv)
    match_crisis = load_matcher()

    hyperbole = read_lines(args.hyperbole)
    false_positives = [(text, match_crisis(text)) for text in hyperbole]
    false_positives = [(text, pid) for text, pid in false_positives if pid]
    report("hyperbole false positives", len(false_positives), len(hyperbole))
    for text, pattern_id in false_positives:
        print(f"  FP  [{pattern_id}] {text}")

    crisis = read_intent_examples(args.crisis, "crisis")
    missed = [text for text in crisis if match_crisis(text) is None]
    report("crisis recall", len(crisis) - len(missed), len(crisis))
    for text in missed:
        print(f"  MISSED  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
