"""The crisis reader: the network (pause.crisis_reader) and its Rasa component."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from sklearn.exceptions import ConvergenceWarning

import pause.crisis_reader as reader_module
from components.crisis_reader import CrisisReaderComponent
from components.sentence_analyser import CRISIS_MARKER_KEY, MOMENT_KEY
from pause.crisis_reader import CrisisReader, Example, features, read_examples, training_rows
from tests.test_sentence_components import (  # noqa: F401  (featurizer is a fixture)
    CONTEXT,
    QUESTIONS,
    TRAINING,
    featurizer,
    labelled,
    parsed,
)

STORIES = [
    "we split in march and i moved back to my mums. i have started giving my things away "
    "to people, i wont need them where im going",
    "work is fine i guess. most nights i stand on the bridge on the way home and think about "
    "how easy it would be to just step off",
]
NEAR_MISSES = [
    "this exam is literally killing me, i have read the same page nine times",
    "i need to get out of this relationship, i feel so trapped when he plans our weekends",
]


def separable(seed: int):
    rows = np.random.default_rng(seed).normal(size=(80, 6)).astype(np.float32)
    return rows[:40] + 3.0, rows[40:] - 3.0


def test_the_network_is_repeatable_and_its_stored_weights_score_alike() -> None:
    crisis, safe = separable(0)
    first = CrisisReader.fit(crisis, safe, hidden=8, seed=3)
    again = CrisisReader.fit(crisis, safe, hidden=8, seed=3)
    assert all(np.array_equal(a, b) for a, b in
               zip(first.arrays().values(), again.arrays().values(), strict=True))
    scores = first.scores(np.vstack([crisis, safe]))
    assert scores.shape == (80,)
    assert float(scores[:40].min()) > 0.5 > float(scores[40:].max())
    stored = CrisisReader.from_arrays(first.arrays())
    assert np.allclose(stored.scores(crisis), first.scores(crisis))


def test_features_put_both_encodings_side_by_side() -> None:
    frozen, tuned = np.ones(4, np.float32), np.zeros(4, np.float32)
    assert features(frozen, tuned).tolist() == [[1, 1, 1, 1, 0, 0, 0, 0]]
    assert features(np.ones((3, 4)), np.ones((3, 4))).shape == (3, 8)


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, np.float32)
    return vector / np.linalg.norm(vector)


def test_a_crisis_story_teaches_only_its_sentence_closest_to_the_bank() -> None:
    bank_frozen = np.stack([unit(1, 0, 0)])
    bank = np.full((1, 2), 9.0, np.float32)  # the bank's rows as features
    story = Example(message=np.array([5.0, 5.0], np.float32),
                    sentences=np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], np.float32),
                    frozen=np.stack([unit(0, 1, 0), unit(1, 0.1, 0), unit(0, 0, 1)]),
                    crisis=True)
    single = Example(message=np.array([6.0, 6.0], np.float32),
                     sentences=np.array([[4.0, 4.0]], np.float32),
                     frozen=np.stack([unit(0, 1, 1)]), crisis=True)
    ordinary = Example(message=np.array([7.0, 7.0], np.float32),
                       sentences=np.array([[8.0, 8.0], [0.5, 0.5]], np.float32),
                       frozen=np.stack([unit(1, 0, 0), unit(0, 1, 0)]), crisis=False)
    crisis, safe = training_rows([story, single, ordinary], bank, bank_frozen)
    assert crisis.tolist() == [[9.0, 9.0], [2.0, 2.0], [4.0, 4.0]]
    assert safe.tolist() == [[8.0, 8.0], [0.5, 0.5], [7.0, 7.0]]


def test_the_examples_file_has_crisis_stories_and_near_misses() -> None:
    crisis, safe = read_examples()
    assert len(crisis) >= 300 and len(safe) >= 300
    assert not set(crisis) & set(safe)
    assert all(isinstance(text, str) and len(text.split()) >= 3 for text in crisis + safe)


@pytest.fixture()
def examples(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "crisis_examples.yml"
    path.write_text(yaml.safe_dump({"crisis": STORIES, "not_crisis": NEAR_MISSES}))
    monkeypatch.setattr(reader_module, "EXAMPLES_FILE", path)
    return path


@pytest.fixture()
def component(featurizer, examples, tmp_path) -> CrisisReaderComponent:  # noqa: F811
    data = labelled({**TRAINING, **QUESTIONS})
    featurizer.process_training_data(data)
    storage, resource = LocalModelStorage(tmp_path), Resource("crisis_reader")
    config = {**CrisisReaderComponent.get_default_config(), "threshold": 0.5, "hidden": 32}
    CrisisReaderComponent.create(config, storage, resource, CONTEXT).train(data)
    return CrisisReaderComponent.load(config, storage, resource, CONTEXT)


def test_a_story_that_says_it_sideways_becomes_crisis(featurizer, component) -> None:  # noqa: F811
    text = ("we had a lovely weekend at the lake. since then i have been writing letters to "
            "everyone and i keep thinking they would be better off if i was gone for good.")
    message = parsed(featurizer, text, "share_experience")
    message.set(MOMENT_KEY, {"start": 0, "end": 34}, add_to_output=True)
    component.process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert message.get("intent_ranking") == [
        {"name": "crisis", "confidence": 1.0},
        {"name": "share_experience", "confidence": 0.5},  # capped: no close call downstream
        {"name": "faq", "confidence": 0.09999999999999998}]
    assert message.get(CRISIS_MARKER_KEY) == ["reader"]
    assert MOMENT_KEY not in message.as_dict(only_output_properties=True)


def test_an_ordinary_moment_is_left_alone(featurizer, component) -> None:  # noqa: F811
    message = parsed(featurizer, "we had a great weekend and now i just want to be alone",
                     "share_experience")
    component.process([message])
    assert message.get("intent") == {"name": "share_experience", "confidence": 0.9}
    assert message.get(CRISIS_MARKER_KEY) is None


def test_a_crisis_another_layer_found_is_not_read_again(featurizer, component) -> None:  # noqa: F811
    message = parsed(featurizer, "i keep thinking about ending my life", "crisis", sure=1.0)
    message.set(CRISIS_MARKER_KEY, ["bank"], add_to_output=True)
    component.process([message])
    assert message.get(CRISIS_MARKER_KEY) == ["bank"]


def test_button_payloads_are_left_alone(featurizer, component) -> None:  # noqa: F811
    message = parsed(featurizer, "/start_exercise", "start_exercise")
    component.process([message])
    assert message.get("intent") == {"name": "start_exercise", "confidence": 0.9}


def test_changed_examples_change_the_fingerprint(examples) -> None:
    before = CrisisReaderComponent.fingerprint_addon({})
    examples.write_text(yaml.safe_dump({"crisis": STORIES[:1], "not_crisis": NEAR_MISSES}))
    assert CrisisReaderComponent.fingerprint_addon({}) != before


def test_an_untrained_reader_changes_nothing(featurizer, tmp_path) -> None:  # noqa: F811
    storage, resource = LocalModelStorage(tmp_path), Resource("crisis_reader")
    config = CrisisReaderComponent.get_default_config()
    loaded = CrisisReaderComponent.load(config, storage, resource, CONTEXT)
    message = parsed(featurizer, "i wish i could sleep and never wake up", "out_of_scope")
    loaded.process([message])
    assert message.get("intent") == {"name": "out_of_scope", "confidence": 0.9}


def test_subnormal_weights_are_set_to_zero() -> None:
    tiny = np.finfo(np.float32).tiny
    arrays = {"hidden_weights": np.array([[tiny / 4, 1.0]], np.float32),
              "hidden_bias": np.zeros(2, np.float32),
              "output_weights": np.array([1.0, -tiny / 8], np.float32),
              "output_bias": np.asarray(0.5, np.float32)}
    reader = CrisisReader.from_arrays(arrays)
    assert reader.hidden_weights.tolist() == [[0.0, 1.0]]
    assert reader.output_weights.tolist() == [1.0, 0.0]
    assert reader.hidden_weights.dtype == np.float32


def test_training_sets_subnormal_weights_to_zero_after_every_epoch() -> None:
    """The hook into sklearn's loop is called once an epoch (it would go quiet if sklearn
    renamed the method), and the weights it leaves have no subnormal values."""
    seen = []

    class Watched(reader_module._network_class()):  # type: ignore[misc]
        def _update_no_improvement_count(self, *args: object) -> None:
            self.coefs_[0][0, 0] = np.finfo(np.float32).tiny / 4  # a subnormal weight
            super()._update_no_improvement_count(*args)
            seen.append(float(self.coefs_[0][0, 0]))

    crisis, safe = separable(1)
    network = Watched(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):  # five epochs do not converge
        network.fit(np.vstack([crisis, safe]), np.r_[np.ones(40), np.zeros(40)])
    assert seen == [0.0] * 5
    assert network.n_iter_ == 5
    tiny = np.finfo(np.float32).tiny
    assert not any(((np.abs(w) < tiny) & (w != 0)).any()
                   for w in (*network.coefs_, *network.intercepts_))
