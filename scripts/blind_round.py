"""Turn a blind round's raw files into a test round: drop repeats, then write it under tests/.

The writers of a blind round (README, "Understanding how people write") leave, in one folder:
``faq_*.yml`` and ``intents.yml`` and ``crisis.yml`` (Rasa NLU YAML), ``everyday<N>.txt`` (one
line each) and ``mixed.yml`` (``text`` and ``question``), beside ``WRITERS.md`` and their
``BRIEF_*.md``. This drops every line that repeats a line the project already has (training
data, the crisis reader's examples and bank, every held-out set) or an earlier line of the
round: the same words, or a pretrained-encoder cosine of at least 0.95 (a repeat in other
punctuation or with a word changed). It prints only counts, never a line: the round is blind.

    .venv/bin/python -m scripts.blind_round /work/blind12 12 nlu_realistic8

writes ``tests/nlu_realistic8/`` (faq.yml, intents.yml, crisis.yml, WRITERS.md, briefs/),
``tests/safety/everyday12.txt`` and ``tests/mixed/mixed12.yml``, and refuses if any of them
exists. Then add the round to ``BLIND_ROUNDS`` (scripts/nlu_eval.py), measure it once with
the landed model, give it floors in scripts/nlu_gate.py (``BLIND_ROUND_FLOORS`` and
``HELP_FLOORS``: the gate needs both) and write its README. When its errors are studied, it
moves from ``BLIND_ROUNDS`` to ``SPENT_ROUNDS`` and its floors to ``SPENT_ROUND_FLOORS``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import numpy as np
import yaml

from pause.crisis_bank import bank_lines
from pause.crisis_reader import read_examples
from scripts.nlu_eval import normal, read_set

ROOT = Path(__file__).resolve().parent.parent
SIMILAR = 0.95  # cosine from which a line is a repeat (pretrained all-MiniLM-L6-v2)
Encode = Callable[[Sequence[str]], np.ndarray]  # texts -> unit vectors, one row each


def known_lines(root: Path = ROOT) -> List[str]:
    """Every line the project already has.

    Training data, the crisis reader's examples and bank, every held-out set, the benchmark's
    lines and the people's turns of the conversation tests.
    """
    lines: List[str] = []
    for folder in (root / "data" / "nlu", root / "tests" / "nlu", root / "tests" / "checkins_nlu",
                   root / "benchmarks" / "data" / "dev"):
        if folder.is_dir():
            lines += [text for text, _ in read_set(folder)]
    for folder in sorted((root / "tests").glob("nlu_realistic*")):
        for sub in (folder, *sorted(p for p in folder.iterdir() if p.is_dir())):
            if any(sub.glob("*.yml")):
                lines += [text for text, _ in read_set(sub)]
    tables = root / "components" / "safety_tables"
    if (tables / "crisis_examples.yml").exists():
        for texts in read_examples(tables / "crisis_examples.yml"):
            lines += texts
    if (tables / "crisis_bank.txt").exists():
        lines += bank_lines(tables / "crisis_bank.txt")
    for path in [*sorted((root / "tests" / "safety").glob("*.txt")),
                 *sorted((root / "benchmarks" / "data").glob("*.txt"))]:
        lines += bank_lines(path)
    stories = root / "tests" / "test_stories.yml"
    if stories.exists():
        for story in yaml.safe_load(stories.read_text()).get("stories") or []:
            lines += [str(step["user"]).strip() for step in story.get("steps") or []
                      if "user" in step]
    for path in sorted((root / "tests" / "mixed").glob("*.yml")):
        lines += [str(item["text"]) for item in yaml.safe_load(path.read_text()) or []]
    return lines


def pretrained_encode(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of the pretrained encoder (pause/encoder.py), one row per text."""
    from pause.encoder import shared_encoder

    vectors = shared_encoder().sentence_vectors(list(texts))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@dataclass
class Dedup:
    """The lines seen so far; ``keep`` passes only lines that repeat none of them.

    The project's lines are one matrix, encoded once; the round's kept lines are a short list
    beside it, so keeping a line never copies the project's matrix.
    """

    encode: Encode
    seen: set = field(default_factory=set)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    threshold: float = SIMILAR
    kept_vectors: List[np.ndarray] = field(default_factory=list)

    @classmethod
    def of(cls, lines: Sequence[str], encode: Encode, threshold: float = SIMILAR) -> Dedup:
        """A dedup that already knows ``lines``."""
        unique = sorted({line for line in lines if normal(line)})
        dedup = cls(encode, {normal(line) for line in unique}, threshold=threshold)
        if unique:
            dedup.vectors = encode(unique)
        return dedup

    def repeats(self, text: str, vector: np.ndarray) -> bool:
        """Whether ``text`` has the words of a seen line, or a vector too close to one's."""
        if normal(text) in self.seen:
            return True
        return any(len(matrix) and float((matrix @ vector).max()) >= self.threshold
                   for matrix in (self.vectors, np.array(self.kept_vectors)))

    def kept(self, texts: Sequence[str]) -> List[bool]:
        """For each text, whether it repeats nothing seen before it; each kept one is seen."""
        flags: List[bool] = []
        for text, vector in zip(texts, self.encode(texts) if texts else [], strict=True):
            flags.append(not self.repeats(text, vector))
            if flags[-1]:
                self.seen.add(normal(text))
                self.kept_vectors.append(vector)
        return flags

    def keep(self, texts: Sequence[str]) -> List[str]:
        """The texts that repeat nothing seen, in order."""
        return [text for text, flag in zip(texts, self.kept(texts), strict=True) if flag]


def _nlu_blocks(path: Path) -> Dict[str, List[str]]:
    blocks: Dict[str, List[str]] = {}
    for text, label in read_set(path):
        blocks.setdefault(label, []).append(text)
    return blocks


def _nlu_text(blocks: Dict[str, List[str]]) -> str:
    out = ['version: "3.1"', "nlu:"]
    for intent, texts in blocks.items():
        out += [f"- intent: {intent}", "  examples: |", *(f"    - {text}" for text in texts)]
    text = "\n".join(out) + "\n"
    yaml.safe_load(text)  # it must parse before anything is written
    return text


def assemble(source: Path, number: int, folder: str, dedup: Dedup,
             root: Path = ROOT) -> Counter:
    """Writes the round under ``root/tests``; returns how many lines were dropped, per label.

    Nothing is written until every file is ready, and nothing is written over: a wrong round
    number must not replace another round's everyday or mixed lines.
    """
    target = root / "tests" / folder
    everyday_file = root / "tests" / "safety" / f"everyday{number}.txt"
    mixed_file = root / "tests" / "mixed" / f"mixed{number}.yml"
    for path in (target, everyday_file, mixed_file):
        if path.exists():
            raise FileExistsError(f"{path} exists: a round is assembled once")
    dropped: Counter = Counter()
    parts: Dict[str, Dict[str, List[str]]] = {"faq.yml": {}, "intents.yml": {}, "crisis.yml": {}}
    sources = [*sorted(source.glob("faq_*.yml")), source / "intents.yml", source / "crisis.yml"]
    for path in sources:
        name = "faq.yml" if path.name.startswith("faq_") else path.name
        for intent, texts in _nlu_blocks(path).items():
            kept = dedup.keep(texts)
            dropped[intent] += len(texts) - len(kept)
            parts[name].setdefault(intent, []).extend(kept)
    everyday = bank_lines(source / f"everyday{number}.txt")
    kept_lines = dedup.keep(everyday)
    dropped["everyday"] += len(everyday) - len(kept_lines)
    mixed = yaml.safe_load((source / "mixed.yml").read_text()) or []
    flags = dedup.kept([str(item["text"]) for item in mixed])
    kept_mixed = [item for item, flag in zip(mixed, flags, strict=True) if flag]
    dropped["mixed"] += len(mixed) - len(kept_mixed)
    files = {target / name: _nlu_text(blocks) for name, blocks in parts.items()}
    files[everyday_file] = "\n".join(kept_lines) + "\n"
    files[mixed_file] = yaml.safe_dump(kept_mixed, allow_unicode=True, sort_keys=False,
                                       width=1000)

    (target / "briefs").mkdir(parents=True)
    for path, text in files.items():
        path.write_text(text)
    shutil.copy(source / "WRITERS.md", target / "WRITERS.md")
    for brief in sorted(source.glob("BRIEF_*.md")):
        shutil.copy(brief, target / "briefs" / brief.name)
    return +dropped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the writers' folder")
    parser.add_argument("number", type=int, help="the round's number (everyday<N>, mixed<N>)")
    parser.add_argument("folder", help="its folder under tests/, e.g. nlu_realistic8")
    args = parser.parse_args(argv)
    dedup = Dedup.of(known_lines(), pretrained_encode)
    dropped = assemble(args.source, args.number, args.folder, dedup)
    print("dropped as repeats (counts only):", dict(sorted(dropped.items())) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
