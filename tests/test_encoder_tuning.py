"""Fine-tuning the encoder's top layers (pause/encoder_tuning.py)."""

import numpy as np
import pytest

from pause.encoder import shared_encoder
from pause.encoder_tuning import (
    Pretrained,
    Settings,
    TopLayers,
    bottom_states,
    sentence_units,
    tune,
)

TEXTS = {
    "crisis": ["i want to die", "i wish i could sleep and never wake up",
               "everyone would be better off without me"],
    "share_experience": ["we had a great weekend and now i just want to be alone",
                         "she said she loves me and all i wanted was to run",
                         "after our trip everything he does annoys me"],
    "out_of_scope": ["what is the weather tomorrow", "give me a pasta recipe",
                     "who won the football game"],
}


@pytest.fixture(scope="module")
def pretrained() -> Pretrained:
    return Pretrained.load()


def test_untrained_top_layers_export_the_package_weights(pretrained) -> None:
    exported = TopLayers(4, pretrained).export()
    expected = {name for name in pretrained.weights
                if name.startswith(("encoder.layer.4.", "encoder.layer.5."))}
    assert set(exported) == expected
    for name, value in exported.items():
        assert value.shape == pretrained.weights[name].shape
        assert np.array_equal(value, pretrained.weights[name]), name


def test_bottom_and_untrained_top_give_the_encoders_sentence_vectors(pretrained) -> None:
    units = ["hi", "we had a great weekend. now i just want to be alone",
             "i dont care if i wake up tomorrow"]
    states = bottom_states(units, 4, pretrained)
    _, _, unit = TopLayers(4, pretrained).sums(states)
    assert np.allclose(unit, shared_encoder().sentence_vectors(units), atol=1e-4)


def test_a_message_is_read_sentence_by_sentence() -> None:
    units, owners = sentence_units(["we had a great weekend. now i just want to be alone", "hi"])
    assert units == ["we had a great weekend", "now i just want to be alone", "hi"]
    assert owners == [[0, 1], [2]]


def test_tuning_moves_only_the_top_layers_and_is_repeatable(pretrained) -> None:
    texts = [t for group in TEXTS.values() for t in group]
    labels = [label for label, group in TEXTS.items() for _ in group]
    settings = Settings(layers=1, epochs=2)
    first, again = tune(texts, labels, settings), tune(texts, labels, settings)
    assert set(first) == {n for n in pretrained.weights if n.startswith("encoder.layer.5.")}
    assert any(not np.allclose(first[n], pretrained.weights[n]) for n in first)
    for name in first:
        assert np.allclose(first[name], again[name], atol=1e-6), name
