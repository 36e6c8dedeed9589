"""Understanding, speed and memory of one or more trained models, side by side in one run.

For each model (each in its own process, so that memory is its own):
- intent+topic accuracy, and per-label precision and recall, on every labelled set:
  tests/nlu_realistic (blind rounds 1-4, spent), the spent rounds (`SPENT_ROUNDS` in
  scripts/nlu_eval.py: tests/nlu_realistic/round5, round9, round10 and round11),
  tests/nlu_realistic/study8 (the crisis reader's study set, spent), tests/nlu (first set,
  regression) and
  benchmarks/data/dev (blind, used for design choices, so no longer unseen); with `--blind`
  also the blind rounds (`BLIND_ROUNDS`: tests/nlu_realistic2 to 4 and 8, the sixth to the
  eighth and the twelfth); on every set with crisis messages, the share
  shown crisis resources or the help line (components/safety_check.py);
  Compare designs without `--blind`:
  the blind round is for the before/after figures of a finished change, not for choosing;
- crisis false positives on the everyday sets, and the lines given the help line only; the
  mixed messages (the same split);
- parse latency p50/p95 of a 10-word and a 120-word message (median of `--runs` runs);
- resident memory after loading the model and parsing, and the model file's size.
Reproduce: `.venv/bin/python -m benchmarks.nlu_benchmark --model models/pause.tar.gz
[--model other.tar.gz] [--labels] [--blind]`.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

from scripts.nlu_eval import (
    BLIND_ROUNDS,
    OTHER_EVERYDAY,
    OTHER_MIXED,
    SPENT_ROUNDS,
    Parser,
    evaluate,
    false_positives,
    latency,
    mixed_results,
    read_lines,
    read_set,
)

ROOT = Path(__file__).resolve().parent.parent

SETS = {
    **{f"blind{n}": ROOT / "tests" / folder for n, (folder, _, _) in BLIND_ROUNDS.items()},
    "spent": ROOT / "tests" / "nlu_realistic",
    **{f"round{n}": ROOT / "tests" / folder for n, (folder, _, _) in SPENT_ROUNDS.items()},
    "study8": ROOT / "tests" / "nlu_realistic" / "study8",
    "regression": ROOT / "tests" / "nlu",
    "dev": ROOT / "benchmarks" / "data" / "dev",
}
DESIGN_SETS = ",".join(["spent", *(f"round{n}" for n in sorted(SPENT_ROUNDS)), "study8",
                        "regression", "dev"])
EVERYDAY = {**{f"{name} (blind)": name for _, name, _ in BLIND_ROUNDS.values()},
            **{f"{name} (spent)": name for _, name, _ in SPENT_ROUNDS.values()},
            **{f"{name} (spent)": name for name in OTHER_EVERYDAY}}
MIXED = {**{f"{name} (blind)": name for _, _, name in BLIND_ROUNDS.values()},
         **{name: name for _, _, name in SPENT_ROUNDS.values()},
         **{name: name for name in OTHER_MIXED}}
SHORT = "she said she loves me and i want to run"
LONG = (
    "so i have been with my boyfriend for almost two years now and honestly it has been the "
    "best relationship i have ever had, he is kind and patient and my friends love him. last "
    "weekend we went away together for the first time and it was perfect, we laughed the "
    "whole time. then on the drive home he said he could see himself marrying me one day and "
    "something in me just went cold. since then every text from him annoys me and i keep "
    "thinking maybe we are not right for each other after all. i dont understand why i do "
    "this every single time things get good and i want to stop it before i lose him"
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(model: Path, runs: int, sets: List[str]) -> Dict[str, Any]:
    parser = Parser(model)
    result: Dict[str, Any] = {"model": str(model), "size_mb": model.stat().st_size / 2**20}
    for name, path in SETS.items():
        if name in sets and path.exists():
            report = evaluate(parser, name, read_set(path))
            result[name] = {"accuracy": report.accuracy, "labels": report.per_label(),
                            "crisis_helped": report.help_recall()}
    blind = any(name.startswith("blind") for name in sets)
    for title, name in EVERYDAY.items():
        if blind or "blind" not in title:
            lines = read_lines(ROOT / "tests" / "safety" / f"{name}.txt")
            crisis, help_line = false_positives(parser, lines)
            result[title] = {"n": len(lines), "false_positives": crisis, "help_line": help_line}
    for title, name in MIXED.items():
        if blind or "blind" not in title:
            result[title] = mixed_results(parser, ROOT / "tests" / "mixed" / f"{name}.yml")
    assert len(SHORT.split()) == 10 and len(LONG.split()) == 120
    for name, text in (("10 words", SHORT), ("120 words", LONG)):
        samples = [latency(parser, text) for _ in range(runs)]
        result[name] = (statistics.median(s[0] for s in samples),
                        statistics.median(s[1] for s in samples))
    result["rss_mb"] = rss_mb()
    return result


def print_side_by_side(results: List[Dict[str, Any]], labels: bool) -> None:
    names = [Path(r["model"]).name for r in results]
    print(f"{'':<40}" + "".join(f"{n[:22]:>24}" for n in names))

    def row(title: str, values: List[str]) -> None:
        print(f"{title:<40}" + "".join(f"{v:>24}" for v in values))

    for name in SETS:
        if all(name in r for r in results):
            row(f"{name}: intent+topic accuracy", [f"{r[name]['accuracy']:.3f}" for r in results])
            for label in ("share_experience", "crisis", "out_of_scope", "start_exercise"):
                if all(label in r[name]["labels"] for r in results):
                    row(f"  {label} recall / precision", [
                        f"{r[name]['labels'][label][1]:.3f} / {r[name]['labels'][label][0]:.3f}"
                        for r in results
                    ])
            if not any(math.isnan(r[name]["crisis_helped"]) for r in results):
                row("  crisis: resources or help line", [f"{r[name]['crisis_helped']:.3f}"
                                                         for r in results])
    for title in EVERYDAY:
        if all(title in r for r in results):
            row(f"{title}: read as crisis", [
                f"{len(r[title]['false_positives'])}/{r[title]['n']}" for r in results])
            row("  + given the help line", [
                f"{len(r[title].get('help_line', []))}/{r[title]['n']}" for r in results])
    for title in MIXED:
        if all(title in r for r in results):
            row(f"{title}: moment / right topic", [
                f"{r[title][1]}/{r[title][0]} , {r[title][2]}/{r[title][0]}" for r in results])
    for name in ("10 words", "120 words"):
        row(f"parse {name}: p50 / p95 ms", [f"{r[name][0]:.0f} / {r[name][1]:.0f}"
                                            for r in results])
    row("RSS after load and parsing, MB", [f"{r['rss_mb']:.0f}" for r in results])
    row("model file, MB", [f"{r['size_mb']:.0f}" for r in results])
    if labels:
        for name in SETS:
            for r, model in zip(results, names, strict=True):
                if name in r:
                    print(f"\n{name}, {model}: label, precision, recall, n")
                    for label, (p, rec, n) in sorted(r[name]["labels"].items()):
                        print(f"  {label:<40} {p:.3f} {rec:.3f} {n:>4}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", action="append", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--labels", action="store_true", help="print every label's figures")
    parser.add_argument("--sets", default=DESIGN_SETS, help="comma-separated, of: "
                        + ", ".join(SETS))
    parser.add_argument("--blind", action="store_true",
                        help="add the blind rounds (before/after figures only)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blind:
        args.sets = ",".join([*(f"blind{n}" for n in BLIND_ROUNDS), args.sets])
    if args.one:
        print(json.dumps(measure(args.one, args.runs, args.sets.split(","))))
        return 0
    results = []
    for model in args.model or [ROOT / "models" / "pause.tar.gz"]:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.nlu_benchmark", "--one", str(model),
             "--runs", str(args.runs), "--sets", args.sets],
            check=True, capture_output=True, text=True, cwd=ROOT,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print_side_by_side(results, args.labels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
