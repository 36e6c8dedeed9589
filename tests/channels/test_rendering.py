"""Markdown per platform, splitting within limits, numbered options."""

import random
import re
from pathlib import Path
from typing import Any, Dict

import pytest

from channels import rendering
from channels.rendering import (
    SLACK_LIMIT,
    TELEGRAM_LIMIT,
    numbered,
    parse,
    plain_text,
    slack_mrkdwn,
    slack_parts,
    slack_size,
    telegram_html,
    telegram_parts,
    utf16_length,
)
from pause.domain import load_domain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def texts() -> Dict[str, Any]:
    domain = load_domain(with_faq=True)["responses"]
    return {name: v["text"] for name, variations in domain.items() for v in variations[:1]}


def test_bold_italic_links_lists_and_headings_per_platform() -> None:
    text = "# Title\n**Bold** and *soft* see [the site](https://a.example/?x=1&y=2)\n- one\n- two"
    assert telegram_html(parse(text)) == (
        "<b>Title</b>\n<b>Bold</b> and <i>soft</i> see "
        '<a href="https://a.example/?x=1&amp;y=2">the site</a>\n• one\n• two'
    )
    assert slack_mrkdwn(parse(text)) == (
        "*Title*\n*Bold* and _soft_ see <https://a.example/?x=1&y=2|the site>\n• one\n• two"
    )
    assert plain_text(text) == (
        "Title\nBold and soft see the site (https://a.example/?x=1&y=2)\n- one\n- two"
    )


def test_user_text_is_escaped_for_telegram_html_and_slack() -> None:
    text = "- **Noticed:** <script>alert(1)</script> & a > b"
    assert telegram_html(parse(text)) == (
        "• <b>Noticed:</b> &lt;script&gt;alert(1)&lt;/script&gt; &amp; a &gt; b"
    )
    assert slack_mrkdwn(parse(text)) == (
        "• *Noticed:* &lt;script&gt;alert(1)&lt;/script&gt; &amp; a &gt; b"
    )


def test_markers_hug_words_and_snake_case_or_lone_stars_stay_text() -> None:
    assert slack_mrkdwn(parse("**In the US:** call")) == "*In the US:* call"
    assert telegram_html(parse("5 * 3 * 2 and my_file_name")) == "5 * 3 * 2 and my_file_name"
    assert plain_text("**unbalanced bold") == "**unbalanced bold"


def test_every_response_renders_with_balanced_tags(texts: Dict[str, str]) -> None:
    for name, template in texts.items():
        # Rasa fills the placeholders before a connector sees the text.
        text = re.sub(r"\{[a-z_]+\}", "https://example.test/x", template)
        html = telegram_html(parse(text))
        for tag in ("b", "i", "a"):
            opened = len(re.findall(rf"<{tag}[ >]", html))
            assert opened == html.count(f"</{tag}>"), name
        assert "**" not in html and "**" not in slack_mrkdwn(parse(text)), name
        assert "**" not in plain_text(text) and "](" not in plain_text(text), name


def _without_slack_markup(mrkdwn: str) -> str:
    """The mrkdwn less its links and its ``_italic_`` and ``*bold*`` pairs hugging words."""
    text = re.sub(r"<[^|>\n]+\|([^>\n]*)>", r"\1", mrkdwn)
    for marker in ("_", "*"):  # italic first: bold may hold it, as in *_word_*
        m = re.escape(marker)
        text = re.sub(rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]+?)(?<=\S){m}(?![\w{m}])", r"\1", text)
    return text


def test_no_markdown_is_left_over_in_any_response() -> None:
    stray = re.compile(r"[*_\[]|\]\(")
    responses = load_domain(with_faq=True)["responses"]
    templates = [(n, v["text"]) for n, vs in responses.items() for v in vs if v.get("text")]
    assert len(templates) > 50
    for name, template in templates:
        text = re.sub(r"\{[a-z_]+\}", "https://example.test/x", template)
        runs = parse(text)
        html = re.sub(r"<[^>]+>", "", telegram_html(runs))  # the tags are Telegram's markup
        for output in (html, _without_slack_markup(slack_mrkdwn(runs)), plain_text(text)):
            assert not stray.search(output), (name, output)


def test_crisis_resources_keep_their_link_everywhere(texts: Dict[str, str]) -> None:
    crisis = texts["utter_crisis"]
    assert '<a href="https://findahelpline.com">findahelpline.com</a>' in telegram_html(
        parse(crisis)
    )
    assert "<https://findahelpline.com|findahelpline.com>" in slack_mrkdwn(parse(crisis))
    assert "findahelpline.com" in plain_text(crisis) and "988" in plain_text(crisis)


def test_short_answers_are_one_part(texts: Dict[str, str]) -> None:
    for text in texts.values():
        assert len(telegram_parts(text)) == 1 and len(slack_parts(text)) == 1


def _words(text: str) -> list:
    return re.findall(r"\S+", text)


@pytest.mark.parametrize("seed", range(8))
def test_splitting_keeps_every_word_whole_and_within_limits(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = [
        "close",
        "**bold**",
        "*soft*",
        "<&>",
        "🙂",
        "a",
        "weekend.",
        "- item",
        "\n",
        "\n\n",
        "[link](https://x.example)",
        "wait",
    ]
    text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1500, 4000)))
    visible = plain_text(text)
    tg = rendering.split(parse(text), TELEGRAM_LIMIT, rendering.telegram_size)
    assert all(rendering.telegram_size(part) <= TELEGRAM_LIMIT for part in tg)
    sl = slack_parts(text)
    assert all(slack_size(part) <= SLACK_LIMIT for part in sl)
    for parts in (tg, sl):
        assert len(parts) > 1
        joined = [w for part in parts for w in _words(rendering.plain(part))]
        assert joined == _words(visible)  # nothing lost, no word cut in two


def test_a_long_answer_splits_at_paragraphs_first() -> None:
    paragraph = ("This is a sentence about the pull to leave. " * 40).strip()
    text = "\n\n".join([paragraph] * 6)  # 6 x ~1,760 characters
    parts = telegram_parts(text)
    assert len(parts) == 3
    assert all(part.count(paragraph) == 2 for part in parts)


def test_a_single_huge_word_is_cut_hard_and_counts_utf16() -> None:
    parts = telegram_parts("x" * 9000)
    assert [len(p) for p in parts] == [4096, 4096, 808]
    emoji = telegram_parts("🙂" * 3000)  # two UTF-16 units each
    assert [utf16_length(p) for p in emoji] == [4096, 1904]


def test_bold_spans_split_across_parts_stay_bold() -> None:
    text = "**" + " ".join(["word"] * 1200) + "**"
    parts = telegram_parts(text)
    assert len(parts) == 2
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)


def test_numbered_options() -> None:
    assert numbered(["Start the pause now", "Not now"]) == "1. Start the pause now\n2. Not now"
    assert numbered(["Later"], first=3) == "3. Later"
