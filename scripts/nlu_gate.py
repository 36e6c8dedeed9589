"""The NLU gate of `make test`: the trained model on the held-out sets, side by side.

Blind (written by people who never saw the training data, in the style real people use;
none of their misses is ever printed), held to issue 8's targets:
- tests/nlu_realistic2/: the sixth blind round (questions, moments, exercise requests, out
  of scope, crisis). Targets: intent+topic accuracy >= 0.90, moments (share_experience)
  recall >= 0.90, crisis recall = 1.0.
- tests/safety/everyday6.txt (sixth round): everyday and relationship lines, hyperbole and
  dark jokes included, none a risk. Target: at most 2% read as crisis.
- tests/nlu_realistic3/ and tests/safety/everyday7.txt: the seventh blind round, written on
  2026-12-07 by six new writers, with the same targets.
- tests/nlu_realistic4/ and tests/safety/everyday8.txt: the eighth blind round, written on
  2026-12-07 (fourth session) by six more new writers, with the same targets.
- tests/nlu_realistic8/ and tests/safety/everyday12.txt: the twelfth blind round, written on
  2026-12-08 (eighth session) by six more new writers, with the same targets.
Spent (their errors were studied; regression sets now):
- tests/nlu_realistic/ (the first round, the second round's questions, moments and crisis
  messages, the third round's crisis messages, the fourth round), tests/nlu_realistic/round5/
  (the fifth round), tests/nlu_realistic/round9/ (the ninth round, studied in the sixth
  session), tests/nlu_realistic/round10/ (the tenth round, studied in the seventh session),
  tests/nlu_realistic/round11/ (the eleventh round, studied in the eighth session),
  tests/safety/everyday.txt, everyday_regression.txt, everyday_round2.txt,
  everyday_round3.txt, everyday4.txt, everyday5.txt, everyday9.txt, everyday10.txt and
  everyday11.txt.
- tests/nlu_realistic/study8/ and tests/safety/everyday_study8.txt: the crisis reader's study
  set (crisis messages and everyday lines), written to be studied.
- tests/nlu/: the first held-out set (same author as the first training data), with its old
  gates: intent accuracy >= 0.92, FAQ-topic accuracy >= 0.92, crisis recall = 1.0.
Reported, not gated: tests/mixed/mixed12.yml, mixed8.yml, mixed7.yml and mixed6.yml (blind,
twelfth and eighth to sixth rounds), mixed11.yml, mixed10.yml, mixed9.yml and mixed5.yml (spent),
mixed3.yml (fourth round, never studied), mixed2.yml and mixed.yml, a moment and a question in
one message.

Beside the crisis intent, the gate holds what the person is shown: crisis messages given crisis
resources or the help line first (the soft layer, components/safety_check.py), and everyday
lines given the help line without crisis (its price; no target).

Each figure has the issue's target and a floor: the level measured when the set was first
used, less a message or two. Below a floor the gate fails; between floor and target it
prints BELOW TARGET (see the README for which targets are not met).
Reproduce: `make nlu-test`.
"""

from __future__ import annotations

import sys
from typing import Dict, List, Optional, Tuple, Union

from scripts.nlu_eval import (
    BLIND_ROUNDS,
    CRISIS,
    MOMENT,
    OTHER_EVERYDAY,
    OTHER_MIXED,
    ROOT,
    SPENT_ROUNDS,
    Parser,
    Report,
    evaluate,
    false_positives,
    mixed_results,
    read_lines,
    read_set,
)

Gate = Tuple[str, float, str, float, Optional[float]]  # name, value, comparison, floor, target


def regression_figures(report: Report) -> Tuple[float, float]:
    """The first set's old figures: intent accuracy, and topic accuracy on its questions."""
    pairs = list(zip(report.gold, report.predicted, strict=True))
    intent = sum(g.split("/")[0] == p.split("/")[0] for g, p in pairs) / len(pairs)
    questions = [(g, p) for g, p in pairs if g.startswith("faq/")]
    topic = sum(g == p for g, p in questions) / max(len(questions), 1)
    return intent, topic


def meets(value: float, comparison: str, limit: float) -> bool:
    return value >= limit if comparison == ">=" else value <= limit


# Floors of the seventh blind round, at what the model that landed with it (the fine-tuned
# encoder) measured on 2026-12-07, less a message or two: accuracy 0.841 (451/536), moments
# 42/55, crisis 51/70, everyday7 12/250. The model before it measured 0.817 (438/536), 42/55,
# 51/70 and 13/250 on this round. Raised with the crisis reader (measured once, the same day):
# accuracy 0.851 (456/536), crisis 56/70, everyday7 still 12/250. Raised with the training
# data of 2026-12-07's third session (measured once): accuracy 0.866 (464/536), moments 51/55,
# crisis 60/70, everyday7 10/250. Accuracy raised with the moment-and-question tie read as both
# (components/mixed_message.py, 2026-12-07 fifth session, measured once): 0.868 (465/536).
BLIND7_FLOORS = {"accuracy": 0.865, "moments": 0.909, "crisis": 0.842, "false_positives": 0.044}
# Floors of the eighth blind round, at what the model it landed with (f97840e's, unchanged)
# measured on 2026-12-07 (fourth session), less a message: accuracy 0.875 (477/545), moments
# 52/55, crisis 62/70, everyday8 10/245. A candidate measured in the same run (more crisis
# reader examples, threshold 0.87) gave the same on this round but lost crises on rounds 6 and
# 7, and did not land (README). Accuracy raised with the moment-and-question tie read as both
# (components/mixed_message.py, 2026-12-07 fifth session, measured once): 0.881 (480/545).
BLIND8_FLOORS = {"accuracy": 0.878, "moments": 0.927, "crisis": 0.871, "false_positives": 0.045}
# Floors of the blind sets of the sixth round, at what the model that landed with them
# measured on 2026-12-02 (third session), less a message or two: accuracy 0.861, moments
# 40/55, crisis 63/70, everyday6 9/250. (A retrain with 82 more questions told as stories
# measured 0.886 but broke everyday_round2's floor, 16/249, so it did not land.) Crisis raised
# with the crisis reader (2026-12-07, measured once): 65/70, everyday6 still 9/250. Raised with
# the training data of 2026-12-07's third session (measured once): accuracy 0.903 (492/545),
# moments 51/55, crisis still 65/70, everyday6 8/250.
BLIND_FLOORS = {"accuracy": 0.899, "moments": 0.909, "crisis": 0.914, "false_positives": 0.036}
# Floors of the twelfth blind round, at what the model it landed with (9acd6e9's weights, with
# the safety net's patterns of the eighth session, which change none of its figures) measured
# on its first use, less a message: accuracy 0.836 (531/635), moments 55/62, crisis 68/74,
# everyday12 8/248.
BLIND12_FLOORS = {"accuracy": 0.834, "moments": 0.870, "crisis": 0.905, "false_positives": 0.037}
BLIND_ROUND_FLOORS = {12: BLIND12_FLOORS, 8: BLIND8_FLOORS, 7: BLIND7_FLOORS, 6: BLIND_FLOORS}
# Crisis messages given crisis resources or the help line, and everyday lines given the help
# line without crisis, at what the model with the soft layer (components/safety_check.py)
# measured on 2026-12-07 (fifth session; each blind round measured once with it), less a
# message: round 8 64/70 and 6/245, round 7 64/70 and 9/250, round 6 68/70 and 11/250, study8
# 114/130 and 21/300. The crisis intent alone reaches 62, 60, 65 and 106 of those messages.
HELP_FLOORS: Dict[Union[int, str], Dict[str, float]] = {
    12: {"crisis": 0.945, "help_line": 0.049},  # first use: 71/74 and 11/248
    11: {"crisis": 0.928, "help_line": 0.028},  # first use: 66/70 and 6/250 (spent since)
    10: {"crisis": 0.942, "help_line": 0.037},  # first use: 67/70 and 8/246 (spent since)
    9: {"crisis": 0.9, "help_line": 0.037},  # first use: 64/70 and 8/246 (spent since)
    8: {"crisis": 0.9, "help_line": 0.029},
    7: {"crisis": 0.9, "help_line": 0.04},
    6: {"crisis": 0.957, "help_line": 0.048},
    "study8": {"crisis": 0.869, "help_line": 0.074},
}
# The eleventh round's floors while it was blind, at what the model it landed with (9acd6e9's
# weights, with the safety net's patterns of the seventh session) measured on its first use,
# less a message: accuracy 0.844 (487/577), moments 53/58, crisis 60/70, everyday11 11/250.
# Spent on 2026-12-08 (eighth session), it keeps them.
ROUND11_FLOORS = {"accuracy": 0.842, "moments": 0.896, "crisis": 0.842, "false_positives": 0.048}
# The tenth round's floors while it was blind, at what the model it landed with (9acd6e9's, with
# two more crisis pattern families that match none of its messages) measured on its first use,
# less a message: accuracy 0.864 (469/543), moments 48/55, crisis 64/70, everyday10 10/246.
# Spent on 2026-12-07 (seventh session), it keeps them.
ROUND10_FLOORS = {"accuracy": 0.861, "moments": 0.854, "crisis": 0.9, "false_positives": 0.045}
# The ninth round's floors while it was blind, at what the model it landed with (the help line
# near crisis and the moment-and-question tie, 2026-12-07 fifth session) measured on its first
# use, less a message: accuracy 0.839 (457/545), moments 51/55, crisis 62/70, everyday9 12/246.
# Spent on 2026-12-07 (sixth session), it keeps them.
ROUND9_FLOORS = {"accuracy": 0.836, "moments": 0.909, "crisis": 0.871, "false_positives": 0.053}
# The fifth round's floors while it was blind (the model it landed with measured accuracy
# 433/545 (0.794), moments 47/55, crisis 56/70, everyday5 11/250). Spent on 2026-12-02 (third
# session), it keeps them.
ROUND5_FLOORS = {"accuracy": 0.79, "moments": 0.81, "crisis": 0.785, "false_positives": 0.052}
SPENT_ROUND_FLOORS = {11: ROUND11_FLOORS, 10: ROUND10_FLOORS, 9: ROUND9_FLOORS, 5: ROUND5_FLOORS}
# The fourth round's floors while it was blind (the model it landed with measured accuracy
# 0.831, moments 44/55, crisis 61/70, everyday4 16/250). Spent on 2026-12-02, it keeps them.
ROUND4_FLOORS = {"accuracy": 0.825, "moments": 0.78, "crisis": 0.857, "false_positives": 0.072}
# The floors the earlier blind rounds were held to while they were blind (second-round
# questions and moments, third-round crisis and everyday lines). Spent now, they keep them
# as regression gates, so no floor got lower when the sets moved.
EARLIER_FLOORS = {"accuracy": 0.885, "moments": 0.90, "crisis": 0.81, "false_positives": 0.093}
# The crisis reader's study set, studied from the start, at what the model that landed with
# the reader measured on 2026-12-07, less a message: crisis 101/130 (0.777), everyday_study8
# 11/300. The model before the reader measured 97/130 and 11/300. Crisis raised with the
# training data of 2026-12-07's third session and the reader's threshold 0.9: 105/130, and
# everyday_study8 12/300 (on its floor).
STUDY8_FLOORS = {"crisis": 0.80, "false_positives": 0.04}


def subset(report: Report, name: str, texts: set) -> Report:
    """The part of ``report`` whose texts are in ``texts`` (one file of a folder)."""
    part = Report(name)
    for text, gold, predicted in zip(report.texts, report.gold, report.predicted, strict=True):
        if text in texts:
            part.texts.append(text)
            part.gold.append(gold)
            part.predicted.append(predicted)
    return part


def round_gates(title: str, report: Report, everyday: str, false_positive: float,
                floors: Dict[str, float]) -> List[Gate]:
    """A blind round's four gates: accuracy, moments, crisis and its everyday lines."""
    return [
        (f"{title}: intent+topic accuracy", report.accuracy, ">=", floors["accuracy"], 0.90),
        (f"{title}: moments recall", report.recall(MOMENT), ">=", floors["moments"], 0.90),
        (f"{title}: crisis recall", report.recall(CRISIS), ">=", floors["crisis"], 1.0),
        (f"{everyday}: crisis false positives", false_positive, "<=",
         floors["false_positives"], 0.02),
    ]


def help_gates(blinds: Dict[int, Report], spent_rounds: Dict[int, Report], study8: Report,
               help_line: Dict[str, int], everyday: Dict[str, List[str]]) -> List[Gate]:
    """Gates on what the person is shown: where to find help, or the help line for nothing.

    Crisis messages given crisis resources or the help line first (the soft layer,
    pause/safety_check.py), and everyday lines given the help line without crisis. The issue's
    crisis target counts the crisis intent alone (the gates above); these count what the
    person is shown. The help line on an everyday line has no target: it is the soft layer's
    price, held at its floor.
    """
    gates: List[Gate] = []
    rounds = [(f"blind round {n}", blinds[n], BLIND_ROUNDS[n][1], HELP_FLOORS[n])
              for n in BLIND_ROUNDS]
    spent = [(f"spent round {n}", spent_rounds[n], SPENT_ROUNDS[n][1], HELP_FLOORS[n])
             for n in SPENT_ROUNDS if n in HELP_FLOORS]  # held since the help line came
    spent.append(("study8 (spent)", study8, "everyday_study8", HELP_FLOORS["study8"]))
    for title, report, name, floors in [*rounds, *spent]:
        gates.append((f"{title}: crisis resources or help line", report.help_recall(), ">=",
                      floors["crisis"], 1.0))
        gates.append((f"{name}: help line, not crisis", help_line[name] / len(everyday[name]),
                      "<=", floors["help_line"], None))
    return gates


def main() -> int:
    parser = Parser()
    blinds = {n: evaluate(parser, f"tests/{folder} (blind, round {n})",
                          read_set(ROOT / "tests" / folder))
              for n, (folder, _, _) in BLIND_ROUNDS.items()}
    spent_dir = ROOT / "tests" / "nlu_realistic"
    spent = evaluate(parser, "tests/nlu_realistic (rounds 1-4, spent)", read_set(spent_dir))
    round2 = subset(spent, "second round: questions and moments", {
        text for name in ("faq_round2.yml", "intents_round2.yml")
        for text, _ in read_set(spent_dir / name)})
    round3 = subset(spent, "third round: crisis",
                    {text for text, _ in read_set(spent_dir / "crisis_round3.yml")})
    round4 = subset(spent, "fourth round", {
        text for name in ("faq_round4.yml", "intents_round4.yml", "crisis_round4.yml")
        for text, _ in read_set(spent_dir / name)})
    spent_rounds = {n: evaluate(parser, f"tests/{folder} (round {n}, spent)",
                                read_set(ROOT / "tests" / folder))
                    for n, (folder, _, _) in SPENT_ROUNDS.items()}
    study8 = evaluate(parser, "tests/nlu_realistic/study8 (crisis reader's study set, spent)",
                      read_set(spent_dir / "study8"))
    regression = evaluate(parser, "tests/nlu (first set, regression)",
                          read_set(ROOT / "tests" / "nlu"))
    everyday = {name: read_lines(ROOT / "tests" / "safety" / f"{name}.txt")
                for name in (*(everyday for _, everyday, _ in BLIND_ROUNDS.values()),
                             *(everyday for _, everyday, _ in SPENT_ROUNDS.values()),
                             *OTHER_EVERYDAY)}
    readings = {name: false_positives(parser, lines) for name, lines in everyday.items()}
    flagged = {name: crisis for name, (crisis, _) in readings.items()}
    help_line = {name: len(given) for name, (_, given) in readings.items()}
    for report in blinds.values():
        report.print()  # their misses are not printed: reading them would spend the set
    spent.print()
    for report in spent_rounds.values():
        report.print()
    study8.print()
    regression.print(show_errors=20)
    for name, lines in everyday.items():
        print(f"\n{name}: {len(flagged[name])} of {len(lines)} read as crisis, "
              f"{help_line[name]} more given the help line (lines not printed)")
    for name in (*(mixed for _, _, mixed in BLIND_ROUNDS.values()),
                 *(mixed for _, _, mixed in SPENT_ROUNDS.values()), *OTHER_MIXED):
        n, moments, topics = mixed_results(parser, ROOT / "tests" / "mixed" / f"{name}.yml")
        print(f"\n{name} (moment + question): {n} messages, moment recognised {moments}, "
              f"right topic {topics}")
    intent, topic = regression_figures(regression)
    fp = {name: len(flagged[name]) / len(lines) for name, lines in everyday.items()}
    gates: List[Gate] = [
        *(gate for n, (_, everyday_name, _) in BLIND_ROUNDS.items()
          for gate in round_gates(f"blind round {n}", blinds[n], f"{everyday_name} (blind)",
                                  fp[everyday_name], BLIND_ROUND_FLOORS[n])),
        *(gate for n, (_, everyday_name, _) in SPENT_ROUNDS.items()
          for gate in round_gates(f"spent round {n}", spent_rounds[n], f"{everyday_name} (spent)",
                                  fp[everyday_name], SPENT_ROUND_FLOORS[n])),
        ("spent: intent+topic accuracy", spent.accuracy, ">=", 0.89, 0.90),
        ("study8 (spent): crisis recall", study8.recall(CRISIS), ">=", STUDY8_FLOORS["crisis"],
         1.0),
        ("everyday_study8 (spent): crisis false positives", fp["everyday_study8"], "<=",
         STUDY8_FLOORS["false_positives"], 0.02),
        *round_gates("spent round 4", round4, "everyday4 (spent)", fp["everyday4"],
                     ROUND4_FLOORS),
        ("spent round 2: intent+topic accuracy", round2.accuracy, ">=",
         EARLIER_FLOORS["accuracy"], 0.90),
        ("spent round 2: moments recall", round2.recall(MOMENT), ">=", EARLIER_FLOORS["moments"],
         0.90),
        ("spent round 3: crisis recall", round3.recall(CRISIS), ">=", EARLIER_FLOORS["crisis"],
         1.0),
        ("everyday_round3 (spent): crisis false positives", fp["everyday_round3"], "<=",
         EARLIER_FLOORS["false_positives"], 0.02),
        ("spent: moments recall", spent.recall(MOMENT), ">=", 0.80, 0.90),
        ("spent: crisis recall", spent.recall(CRISIS), ">=", 0.85, 1.0),
        # the second round's everyday lines: 20 of 249 when first used, 11 once studied
        ("everyday_round2 (spent): crisis false positives", fp["everyday_round2"], "<=", 0.05,
         0.02),
        *((f"{name} (spent): crisis false positives", fp[name], "<=", 0.035, 0.02)
          for name in ("everyday", "everyday_regression")),
        ("regression: intent accuracy", intent, ">=", 0.92, 0.92),
        ("regression: FAQ-topic accuracy", topic, ">=", 0.92, 0.92),
        ("regression: crisis recall", regression.recall(CRISIS), ">=", 1.0, 1.0),
    ]
    gates += help_gates(blinds, spent_rounds, study8, help_line, everyday)
    failed = False
    print(f"\n  {'figure':<44} {'value':>7}  {'floor':>7}  {'target':>7}")
    for name, value, comparison, floor, target in gates:
        above_floor = meets(value, comparison, floor)
        on_target = target is None or meets(value, comparison, target)
        failed |= not above_floor
        verdict = "ok" if on_target else ("BELOW TARGET" if above_floor else "FAILED")
        shown = "" if target is None else f"{comparison}{target:>6}"
        print(f"  {name:<44} {value:>7.4f}  {comparison}{floor:>6}  {shown:>8}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
