"""scripts/blind_round.py: a blind round's repeats dropped, its files written for the gate."""

from pathlib import Path
from typing import List, Sequence

import numpy as np
import pytest
import yaml

from scripts.blind_round import Dedup, assemble, known_lines, normal
from scripts.nlu_eval import read_set

WORDS = ["weekend", "exam", "ghost", "mum", "bridge", "why", "pizza", "walk", "hug", "tram", "date"]


def by_first_word(texts: Sequence[str]) -> np.ndarray:
    """A stand-in encoder: lines that open with the same word are the same vector."""
    rows: List[np.ndarray] = []
    for text in texts:
        row = np.zeros(len(WORDS) + 1, np.float32)
        first = normal(text).split()[0]
        row[WORDS.index(first) if first in WORDS else len(WORDS)] = 1.0
        rows.append(row)
    return np.stack(rows)


def test_a_line_with_the_same_words_is_a_repeat_whatever_its_case_and_punctuation() -> None:
    dedup = Dedup.of(["Weekend away, then I wanted out!"], by_first_word)
    assert dedup.keep(["weekend away then i wanted out", "exam tomorrow"]) == ["exam tomorrow"]


def test_a_line_close_to_a_known_one_is_a_repeat() -> None:
    dedup = Dedup.of(["weekend away then i wanted out"], by_first_word)
    assert dedup.keep(["weekend with her folks, now i want space"]) == []  # cosine 1.0
    assert Dedup.of(["weekend away"], by_first_word, threshold=1.01).keep(
        ["weekend with her folks"]) == ["weekend with her folks"]  # below the threshold


def test_a_round_repeating_itself_keeps_the_first() -> None:
    dedup = Dedup.of([], by_first_word)
    assert dedup.keep(["ghost him again", "Ghost him again.", "mum called"]) == [
        "ghost him again", "mum called"]


def test_lines_without_words_are_compared_as_they_are() -> None:
    dedup = Dedup.of(["😭😭"], by_first_word, threshold=1.01)
    assert dedup.keep(["😭😭", "🙏", "🙏"]) == ["🙏"]


def test_every_kind_of_line_the_project_has_is_known(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write(root / "data" / "nlu" / "a.yml", nlu({"greet": ["training line"]}))
    write(root / "tests" / "nlu" / "a.yml", nlu({"greet": ["first set line"]}))
    write(root / "tests" / "nlu_realistic6" / "faq.yml", nlu({"faq/x": ["blind line"]}))
    write(root / "tests" / "nlu_realistic" / "round9" / "faq.yml", nlu({"faq/x": ["spent line"]}))
    write(root / "benchmarks" / "data" / "dev" / "a.yml", nlu({"greet": ["dev line"]}))
    write(root / "benchmarks" / "data" / "hyperbole.txt", "# a comment\nhyperbole line\n")
    write(root / "components" / "safety_tables" / "crisis_examples.yml",
          yaml.safe_dump({"crisis": ["reader crisis line"], "not_crisis": ["reader safe line"]}))
    write(root / "components" / "safety_tables" / "crisis_bank.txt", "# group\nbank line\n")
    write(root / "tests" / "safety" / "everyday9.txt", "everyday line\n")
    write(root / "tests" / "mixed" / "mixed9.yml", yaml.safe_dump([{"text": "mixed line",
                                                                   "question": "x"}]))
    write(root / "tests" / "test_stories.yml", yaml.safe_dump({"stories": [{"story": "s", "steps": [
        {"user": "story line\n"}, {"action": "utter_greet"}]}]}))
    assert sorted(known_lines(root)) == sorted([
        "training line", "first set line", "blind line", "spent line", "dev line",
        "hyperbole line", "reader crisis line", "reader safe line", "bank line", "everyday line",
        "mixed line", "story line"])


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def nlu(intent_texts: dict) -> str:
    return yaml.safe_dump({"version": "3.1", "nlu": [
        {"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)}
        for intent, texts in intent_texts.items()]}, sort_keys=False)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root / "data" / "nlu" / "experience.yml",
          nlu({"share_experience": ["weekend away then i wanted out"]}))
    write(root / "tests" / "safety" / "everyday.txt", "pizza is life\n")
    write(root / "tests" / "mixed" / "mixed.yml", yaml.safe_dump([{"text": "hug then why",
                                                                   "question": "triggers"}]))
    return root


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "blind11"
    write(folder / "faq_a.yml", nlu({"faq/triggers": ["why does a hug set me off", "exam q"]}))
    write(folder / "faq_b.yml", nlu({"faq/triggers": ["walk away when she hugs me?"],
                                     "faq/what_helps": ["mum says talk, what helps"]}))
    write(folder / "intents.yml", nlu({"share_experience": ["Weekend away, then I wanted out",
                                                            "bridge of the wedding"],
                                       "out_of_scope": ["exam tips pls"]}))
    write(folder / "crisis.yml", nlu({"crisis": ["ghost of a plan, i have the pills"]}))
    write(folder / "everyday11.txt", "pizza tonight\n\ntram was late again\n")
    write(folder / "mixed.yml", yaml.safe_dump([{"text": "hug at the door, why", "question": "x"},
                                                {"text": "date went great, now i want out. why",
                                                 "question": "triggers"}]))
    write(folder / "WRITERS.md", "# writers\n")
    write(folder / "BRIEF_FAQ.md", "# faq\n")
    return folder


def test_a_round_is_written_where_the_gate_reads_it_without_its_repeats(
    project: Path, source: Path
) -> None:
    dedup = Dedup.of(known_lines(project), by_first_word)
    dropped = assemble(source, 11, "nlu_realistic7", dedup, root=project)
    assert dropped == {"share_experience": 1,  # the training line again
                       "out_of_scope": 1,  # "exam": like the FAQ question before it
                       "everyday": 1,  # "pizza": like an everyday line the project has
                       "mixed": 1}  # "hug": like a known mixed message
    folder = project / "tests" / "nlu_realistic7"
    assert read_set(folder) == [
        ("ghost of a plan, i have the pills", "crisis"),
        ("why does a hug set me off", "faq/triggers"), ("exam q", "faq/triggers"),
        ("walk away when she hugs me?", "faq/triggers"),
        ("mum says talk, what helps", "faq/what_helps"),
        ("bridge of the wedding", "share_experience")]
    assert (project / "tests" / "safety" / "everyday11.txt").read_text().splitlines() == [
        "tram was late again"]
    assert yaml.safe_load((project / "tests" / "mixed" / "mixed11.yml").read_text()) == [
        {"text": "date went great, now i want out. why", "question": "triggers"}]
    assert (folder / "WRITERS.md").exists() and (folder / "briefs" / "BRIEF_FAQ.md").exists()
    with pytest.raises(FileExistsError):
        assemble(source, 11, "nlu_realistic7", dedup, root=project)


def test_a_wrong_round_number_writes_nothing_over_another_round(
    project: Path, source: Path
) -> None:
    write(project / "tests" / "mixed" / "mixed11.yml", "[]\n")  # round 11 exists already
    with pytest.raises(FileExistsError):
        assemble(source, 11, "nlu_realistic8", Dedup.of([], by_first_word), root=project)
    assert not (project / "tests" / "nlu_realistic8").exists()
    assert not (project / "tests" / "safety" / "everyday11.txt").exists()
    assert (project / "tests" / "mixed" / "mixed11.yml").read_text() == "[]\n"


def test_a_mixed_message_given_twice_is_kept_once(project: Path, source: Path) -> None:
    twice = [{"text": "date went great, now i want out. why", "question": "triggers"}] * 2
    write(source / "mixed.yml", yaml.safe_dump(twice))
    dropped = assemble(source, 11, "nlu_realistic7", Dedup.of([], by_first_word), root=project)
    assert dropped["mixed"] == 1
    assert yaml.safe_load((project / "tests" / "mixed" / "mixed11.yml").read_text()) == twice[:1]
