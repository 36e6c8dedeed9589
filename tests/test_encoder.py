"""The sentence encoder (pause/encoder.py) and the sentence splitter (pause/sentences.py)."""

import numpy as np
import pytest

from pause.encoder import DIMENSIONS, shared_encoder
from pause.sentences import split_sentences
from tests.encoder_reference import NumpyForward


@pytest.fixture(scope="module")
def encoder():
    return shared_encoder()


def test_sentence_vectors_are_unit_length_and_in_order(encoder) -> None:
    texts = ["i want to be alone after our weekend", "what's the weather tomorrow", "hi"]
    vectors = encoder.sentence_vectors(texts)
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again = encoder.sentence_vectors(list(reversed(texts)))
    assert np.allclose(again[::-1], vectors, atol=1e-5)


def _batch(encoder, texts):
    """Word-piece ids and a 0/1 mask, padded to the longest text."""
    found = encoder._tokenizer.encode_batch(texts)
    width = max(len(e.ids) for e in found)
    ids = np.zeros((len(texts), width), dtype=np.int64)
    mask = np.zeros((len(texts), width), dtype=np.float32)
    for row, item in enumerate(found):
        ids[row, : len(item.ids)] = item.ids
        mask[row, : len(item.ids)] = 1.0
    return ids, mask


def test_the_onnx_graph_computes_what_bert_computes(encoder) -> None:
    """The graph's last layer equals a numpy forward pass, padding included."""
    texts = ["hi", "we had a great weekend and now i just want to be alone, why am i like this",
             "word " * 300]
    ids, mask = _batch(encoder, texts)
    expected, got = NumpyForward()(ids, mask), encoder._forward(ids, mask)
    assert got.shape == expected.shape == (3, 256, DIMENSIONS)
    for row in range(len(texts)):
        real = int(mask[row].sum())
        assert np.allclose(got[row, :real], expected[row, :real], atol=1e-4), texts[row][:20]


def test_meaning_not_spelling_decides_closeness(encoder) -> None:
    anchor, paraphrase, unrelated = encoder.sentence_vectors(
        [
            "i wish i could fall asleep and never wake up",
            "i dont care if i dont wake up tomorrow",
            "can you recommend a good pasta recipe",
        ]
    )
    assert float(anchor @ paraphrase) > float(anchor @ unrelated) + 0.2


def test_word_pieces_carry_their_character_spans(encoder) -> None:
    text = "Unbelievably tired"
    encoded = encoder.encode([text])[0]
    assert len(encoded.pieces) == len(encoded.spans) > 2
    assert text[encoded.spans[0][0] : encoded.spans[-1][1]] == text
    assert all(a < b for a, b in encoded.spans)


def test_a_long_text_is_cut_to_the_models_window_not_rejected(encoder) -> None:
    encoded = encoder.encode(["word " * 600])[0]
    assert len(encoded.pieces) == 254  # 256 minus [CLS] and [SEP]


def test_empty_input_gives_nothing(encoder) -> None:
    assert encoder.encode([]) == []
    assert encoder.sentence_vectors([]).shape == (0, DIMENSIONS)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hi", ["hi"]),
        (
            "we had a great weekend. now i just want to be alone!! why am i like this?",
            ["we had a great weekend", "now i just want to be alone!!", "why am i like this?"],
        ),
        ("ok. so. my gf... idk", ["ok. so. my gf... idk"]),  # short pieces stay together
        (
            "this is line one here\nand this is line two",
            ["this is line one here", "and this is line two"],
        ),
        ("", []),
    ],
)
def test_sentences(text, expected) -> None:
    assert [text[a:b] for a, b in split_sentences(text)] == expected


def test_a_long_run_on_is_cut_into_clauses() -> None:
    text = (
        "so me and my bf have been together 2 years and last weekend was amazing, we went to "
        "the lake and he said he loves me and honestly i dont care if i wake up tomorrow"
    )
    clauses = [text[a:b] for a, b in split_sentences(text)]
    assert "and honestly i dont care if i wake up tomorrow" in clauses
    assert " ".join(clauses).split() == text.replace(",", "").split()


def test_tuned_top_layers_fork_from_the_same_bottom(encoder) -> None:
    """With tuned weights the graph gives the pretrained last layer and the tuned one."""
    from pause.encoder import SentenceEncoder
    from pause.encoder_tuning import Pretrained

    pretrained = Pretrained.load()
    tuned = {name: value * (0.5 if name.endswith("output.dense.weight") else 1.0)
             for name, value in pretrained.weights.items()
             if name.startswith(("encoder.layer.4.", "encoder.layer.5."))}
    both = SentenceEncoder(tuned=tuned)
    texts = ["hi", "we had a great weekend and now i just want to be alone, why am i like this"]
    ids, mask = _batch(encoder, texts)
    reference = NumpyForward()
    expected_frozen = reference(ids, mask)
    for name, value in tuned.items():
        reference._w[name] = value
    expected_tuned = reference(ids, mask)
    frozen, got_tuned = both._forward_all(ids, mask)
    for row in range(len(texts)):
        real = int(mask[row].sum())
        assert np.allclose(frozen[row, :real], expected_frozen[row, :real], atol=1e-4)
        assert np.allclose(got_tuned[row, :real], expected_tuned[row, :real], atol=1e-4)
    assert not np.allclose(got_tuned, frozen, atol=1e-2)
    item, plain = both.encode([texts[1]])[0], encoder.encode([texts[1]])[0]
    assert np.allclose(item.frozen, plain.sentence, atol=1e-5)
    assert np.allclose(item.frozen_pieces, plain.pieces, atol=1e-4)
    assert not np.allclose(item.sentence, plain.sentence, atol=1e-3)


def test_tuned_encoders_are_shared_per_weights() -> None:
    from pause.encoder import tuned_encoder
    from pause.encoder_tuning import Pretrained

    weights = {name: value for name, value in Pretrained.load().weights.items()
               if name.startswith("encoder.layer.5.")}
    assert tuned_encoder(weights) is tuned_encoder(dict(weights))
