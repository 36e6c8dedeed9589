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
    spans = [(a, b) for a, b, _ in message.get(SENTENCES_KEY)]
    assert spans == [(0, 22), (24, 52)]
    assert SENTENCES_KEY not in message.as_dict(only_output_properties=True)


def test_training_examples_get_features_but_keep_no_sentence_vectors(featurizer) -> None:
    messages = tokenized(["hi there", "i need space"])
    featurizer.process_training_data(TrainingData(training_examples=messages))
    assert all(m.get_dense_features(TEXT, ["minilm"])[1] is not None for m in messages)
    assert all(m.get(SENTENCES_KEY) is None for m in messages)


@pytest.fixture(scope="module")
def analyser(featurizer, tmp_path_factory) -> SentenceAnalyser:
    examples = []
    for label, texts in {**TRAINING, **QUESTIONS}.items():
        intent, _, key = label.partition("/")
        for message in tokenized(texts):
            message.set("intent", intent)
            if key:
                message.set("intent_response_key", label)
            examples.append(message)
    data = TrainingData(training_examples=examples)
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
