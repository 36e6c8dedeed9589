"""The SentenceFeaturizer and the SentenceAnalyser, built and trained the way the graph does."""

from pathlib import Path
from typing import List

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.sentence_analyser import (
    CRISIS_MARKER_KEY,
    MOMENT_KEY,
    QUESTION_KEY,
    SentenceAnalyser,
)
from components.sentence_featurizer import SENTENCES_KEY, SentenceFeaturizer
from pause.encoder import DIMENSIONS

CONTEXT = ExecutionContext(GraphSchema({}))
TRAINING = {
    "crisis": [
        "i want to die",
        "i dont want to be alive anymore",
        "everyone would be better off if i was gone",
        "i keep thinking about ending my life",
        "i have been hurting myself again",
        "i wish i could sleep and never wake up",
    ],
    "share_experience": [
        "we had a great weekend and now i just want to be alone",
        "she said she loves me and i wanted to run",
        "after our trip everything he does annoys me",
        "i suddenly lost all interest in her after our date",
        "since he moved in i feel smothered all the time",
        "i stopped answering her texts after the best week ever",
    ],
    "out_of_scope": [
        "what is the weather tomorrow",
        "can you fix my python code",
        "who won the football game",
        "give me a pasta recipe",
        "how much ibuprofen can i take",
        "book me a flight to rome",
    ],
}
QUESTIONS = {
    "faq/why_pull_away_when_good": [
        "why do i pull away when things are going well",
        "why does distance always follow closeness for me",
        "why do i go cold right after a great weekend",
    ],
    "faq/how_it_develops": [
        "where does this pattern come from",
        "did my childhood make me like this",
        "how does avoidance develop in kids",
    ],
}


def tokenized(texts: List[str]) -> List[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={TEXT: text}) for text in texts]
    tokenizer.process(messages)
    return messages


@pytest.fixture(scope="module")
def featurizer() -> SentenceFeaturizer:
    return SentenceFeaturizer.create(
        {**SentenceFeaturizer.get_default_config(), "alias": "minilm"},
        LocalModelStorage(Path("unused")),
        Resource("minilm"),
        CONTEXT,
    )


def test_one_vector_per_token_and_one_for_the_message(featurizer) -> None:
    (message,) = tokenized(["We had a great weekend. Now I just want to be alone!"])
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT, ["minilm"])
    assert sequence.features.shape == (12, DIMENSIONS)
    assert sentence.features.shape == (1, DIMENSIONS)
    assert np.isclose(np.linalg.norm(sentence.features), 1.0, atol=1e-5)
    readings = message.get(SENTENCES_KEY)
    assert readings.spans == [(0, 22), (24, 52)]
    assert readings.sentences.shape == readings.frozen.shape == (2, DIMENSIONS)
    # Untuned, the features are the pretrained encoder's own vectors, under both names.
    assert np.allclose(readings.sentences, readings.frozen)
    _, pretrained = message.get_dense_features(TEXT, ["minilm_pretrained"])
    assert np.array_equal(pretrained.features, sentence.features)
    assert SENTENCES_KEY not in message.as_dict(only_output_properties=True)


def test_training_examples_get_features_and_readings(featurizer) -> None:
    messages = tokenized(["hi there", "i need space"])
    featurizer.process_training_data(TrainingData(training_examples=messages))
    assert all(m.get_dense_features(TEXT, ["minilm"])[1] is not None for m in messages)
    assert [m.get(SENTENCES_KEY).spans for m in messages] == [[(0, 8)], [(0, 12)]]
    # Rasa fingerprints training messages: the readings hash their vectors.
    first, second = (m.get(SENTENCES_KEY).fingerprint() for m in messages)
    assert first != second
    assert first == featurizer_readings(featurizer, "hi there").fingerprint()


def featurizer_readings(featurizer, text: str):
    (message,) = tokenized([text])
    featurizer.process([message])
    return message.get(SENTENCES_KEY)


def labelled(pairs: dict) -> TrainingData:
    examples = []
    for label, texts in pairs.items():
        intent, _, key = label.partition("/")
        for message in tokenized(texts):
            message.set("intent", intent)
            if key:
                message.set("intent_response_key", label)
            examples.append(message)
    return TrainingData(training_examples=examples)


def test_training_fine_tunes_the_top_layers_and_loading_serves_them(tmp_path) -> None:
    config = {**SentenceFeaturizer.get_default_config(), "alias": "minilm", "tune_epochs": 1}
    storage, resource = LocalModelStorage(tmp_path), Resource("minilm")
    untrained = SentenceFeaturizer.create(config, storage, resource, CONTEXT)
    assert untrained.train(labelled({**TRAINING, **QUESTIONS})) == resource
    with storage.read_from(resource) as folder:
        with np.load(folder / "tuned_layers.npz") as stored:
            assert sorted({name.split(".")[2] for name in stored.files}) == ["4", "5"]
    loaded = SentenceFeaturizer.load(config, storage, resource, CONTEXT)
    tuned = featurizer_readings(loaded, "we had a great weekend. now i just want to be alone")
    plain = featurizer_readings(untrained, "we had a great weekend. now i just want to be alone")
    assert tuned.spans == plain.spans
    assert np.allclose(tuned.frozen, plain.frozen, atol=1e-5)  # the bank's vectors: unchanged
    assert not np.allclose(tuned.sentences, plain.sentences, atol=1e-3)  # the features: tuned
    assert np.allclose(np.linalg.norm(tuned.sentences, axis=1), 1.0, atol=1e-5)
    # DIET reads the pretrained features (minilm_pretrained), the selector the tuned ones.
    messages = tokenized(["i need space after our trip"] * 2)
    loaded.process(messages[:1])
    untrained.process(messages[1:])
    (_, tuned_features), (_, plain_features) = (
        m.get_dense_features(TEXT, ["minilm"]) for m in messages)
    (_, tuned_pretrained), (_, plain_pretrained) = (
        m.get_dense_features(TEXT, ["minilm_pretrained"]) for m in messages)
    assert np.allclose(tuned_pretrained.features, plain_pretrained.features, atol=1e-5)
    assert not np.allclose(tuned_features.features, plain_features.features, atol=1e-3)


def test_no_tuned_layers_keeps_the_pretrained_encoder(tmp_path) -> None:
    config = {**SentenceFeaturizer.get_default_config(), "alias": "minilm", "tune_layers": 0}
    storage, resource = LocalModelStorage(tmp_path), Resource("minilm")
    SentenceFeaturizer.create(config, storage, resource, CONTEXT).train(labelled(TRAINING))
    loaded = SentenceFeaturizer.load(config, storage, resource, CONTEXT)
    readings = featurizer_readings(loaded, "i need space after our trip")
    assert np.array_equal(readings.sentences, readings.frozen)


def test_a_tuned_layer_count_the_model_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="tune_layers"):
        SentenceFeaturizer.validate_config({"tune_layers": 7})


@pytest.fixture(scope="module")
def analyser(featurizer, tmp_path_factory) -> SentenceAnalyser:
    data = labelled({**TRAINING, **QUESTIONS})
    featurizer.process_training_data(data)
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("sentence_analyser")
    config = {**SentenceAnalyser.get_default_config(), "crisis_probability": 0.5}
    SentenceAnalyser.create(config, storage, resource, CONTEXT).train(data)
    return SentenceAnalyser.load(config, storage, resource, CONTEXT)


def parsed(featurizer, text: str, intent: str, topic: str = "", sure: float = 0.9) -> Message:
    (message,) = tokenized([text])
    featurizer.process([message])
    other = "faq" if intent != "faq" else "out_of_scope"
    message.set("intent", {"name": intent, "confidence": sure}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": sure},
                                   {"name": other, "confidence": 1 - sure}])
    if topic:
        message.set("response_selector", {"faq": {
            "response": {"intent_response_key": topic, "confidence": 0.9, "responses": []},
            "ranking": [{"intent_response_key": topic, "confidence": 0.9}],
        }})
    return message


def test_a_crisis_sentence_inside_a_story_makes_the_message_crisis(featurizer, analyser) -> None:
    text = (
        "we have been together two years and last weekend he said he loves me. "
        "why do i pull away every time. honestly i dont want to be alive anymore."
    )
    message = parsed(featurizer, text, "faq", "faq/why_pull_away_when_good")
    analyser.process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert message.get("intent_ranking")[0] == {"name": "crisis", "confidence": 1.0}
    assert all(e["confidence"] <= 0.5 for e in message.get("intent_ranking")[1:])
    assert "classifier" in message.get(CRISIS_MARKER_KEY)


def test_a_moment_told_before_a_question_is_marked(featurizer, analyser) -> None:
    text = (
        "she said she loves me last night and all i wanted was to run. "
        "why do i pull away when things are going well?"
    )
    message = parsed(featurizer, text, "faq", "faq/why_pull_away_when_good")
    analyser.process([message])
    assert message.get("intent")["name"] == "faq"
    assert message.get(MOMENT_KEY) == {"start": 0, "end": 60}
    output = message.as_dict(only_output_properties=True)
    assert output[MOMENT_KEY] == {"start": 0, "end": 60}


def test_a_moment_that_ends_with_a_question_marks_the_question(featurizer, analyser) -> None:
    text = "she said she loves me last night and all i wanted was to run. why do i pull away?"
    message = parsed(featurizer, text, "share_experience")
    analyser.process([message])
    assert message.get("intent")["name"] == "share_experience"
    assert message.get(QUESTION_KEY) == {"start": 62, "end": len(text)}
    assert message.as_dict(only_output_properties=True)[QUESTION_KEY] == {
        "start": 62, "end": len(text)}


def test_a_moment_without_a_question_marks_none(featurizer, analyser) -> None:
    message = parsed(featurizer, "she said she loves me last night and all i wanted was to run",
                     "share_experience")
    analyser.process([message])
    assert message.get(QUESTION_KEY) is None


def test_a_plain_question_has_no_moment(featurizer, analyser) -> None:
    message = parsed(featurizer, "did my childhood make me like this? where does it come from",
                     "faq", "faq/how_it_develops")
    analyser.process([message])
    assert message.get(MOMENT_KEY) is None
    assert message.get("intent")["name"] == "faq"


def test_the_vote_can_correct_a_wrong_intent_and_topic(featurizer, analyser) -> None:
    message = parsed(featurizer, "i go cold right after a great weekend, why", "out_of_scope",
                     sure=0.55)
    message.set("response_selector", {"faq": {
        "response": {"intent_response_key": "faq/how_it_develops", "confidence": 0.4},
        "ranking": [{"intent_response_key": "faq/how_it_develops", "confidence": 0.4}],
    }})
    analyser.process([message])
    assert message.get("intent")["name"] == "faq"
    response = message.get("response_selector")["faq"]["response"]
    assert response["intent_response_key"] == "faq/why_pull_away_when_good"
    assert response["utter_action"] == "utter_faq/why_pull_away_when_good"


def test_button_payloads_are_left_alone(featurizer, analyser) -> None:
    message = parsed(featurizer, "/start_exercise", "start_exercise")
    analyser.process([message])
    assert message.get("intent") == {"name": "start_exercise", "confidence": 0.9}


def test_a_changed_crisis_bank_changes_the_fingerprint(tmp_path, monkeypatch) -> None:
    import components.sentence_analyser as module

    before = SentenceAnalyser.fingerprint_addon({})
    bank = tmp_path / "bank.txt"
    bank.write_text("a line that is not in the real bank\n")
    monkeypatch.setattr(module, "CRISIS_FILE", bank)
    assert SentenceAnalyser.fingerprint_addon({}) not in (None, before)


def test_crisis_is_decided_on_the_pretrained_vectors(featurizer, analyser) -> None:
    """The crisis layers read ``Readings.frozen``; the fine-tuned vectors cannot add or hide one."""
    from dataclasses import replace

    crisis = parsed(featurizer, "we had a nice dinner. honestly i dont want to be alive anymore.",
                    "share_experience")
    calm = parsed(featurizer, "we had a nice dinner. then we watched a film together.",
                  "share_experience")
    crisis_readings, calm_readings = crisis.get(SENTENCES_KEY), calm.get(SENTENCES_KEY)
    crisis.set(SENTENCES_KEY, replace(crisis_readings, sentences=calm_readings.sentences))
    calm.set(SENTENCES_KEY, replace(calm_readings, sentences=crisis_readings.sentences))
    analyser.process([crisis, calm])
    assert crisis.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert crisis.get(CRISIS_MARKER_KEY)
    assert calm.get(CRISIS_MARKER_KEY) is None
    assert calm.get("intent")["name"] != "crisis"


def test_read_texts_gives_what_the_featurizer_gives_a_message(featurizer) -> None:
    from components.sentence_featurizer import read_texts

    text = "we had a great weekend. now i just want to be alone, and i dont know why"
    (message,) = tokenized([text])
    featurizer.process([message])
    ((readings, vectors),) = read_texts(featurizer._encoder, [text])
    assert readings.spans == message.get(SENTENCES_KEY).spans
    assert np.array_equal(readings.frozen, message.get(SENTENCES_KEY).frozen)
    for row, origin in zip(vectors, ("minilm", "minilm_pretrained"), strict=True):
        _, sentence = message.get_dense_features(TEXT, [origin])
        assert np.allclose(row, sentence.features[0], atol=1e-6)
