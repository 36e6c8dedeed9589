"""Shared rendering for messaging apps: Markdown to each app's format, splitting, options.

The assistant's responses use a small Markdown subset: ``**bold**``, ``*italic*``,
``[text](url)``, ``- `` list items and ``#`` headings. :func:`parse` turns such a text into
styled runs with markdown-it-py; the renderers turn runs into Telegram HTML, Slack mrkdwn or
plain text, and :func:`split` cuts runs into parts that fit a platform's limit, preferring
paragraph, line, sentence and word boundaries in that order, so markup is never cut in half.
"""

import html
import re
from dataclasses import dataclass, replace
from typing import Callable, List, Optional, Sequence, Tuple

from markdown_it import MarkdownIt
from markdown_it.token import Token

TELEGRAM_LIMIT = 4096  # characters (UTF-16 code units) of one message, after entity parsing
SLACK_LIMIT = 3000  # characters of one section block's text

_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?;:]\s"), re.compile(r"\s"))

Runs = List["Run"]


@dataclass(frozen=True)
class Run:
    """A piece of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    url: Optional[str] = None
    bullet: bool = False  # the marker of a list item


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # links to other schemes stay text
        return url.startswith(("https://", "http://", "mailto:"))


# CommonMark's rules for the subset only: no HTML, code, quotes or entities.
_MARKDOWN = _Markdown("zero").enable(["heading", "list", "emphasis", "link", "newline", "escape"])
_STAR_IN_WORD = re.compile(r"(?<=\w)\*(?=\w)")  # "f*ck", "2*3*4" in an answer stay text


def _inline(children: Sequence[Token], bold: bool) -> Runs:
    runs: Runs = []
    strong, em, url = int(bold), 0, None
    for child in children:
        if child.type.startswith("strong_"):  # nesting: 1 opens, -1 closes
            strong += child.nesting
        elif child.type.startswith("em_"):
            em += child.nesting
        elif child.type.startswith("link_"):
            url = str(child.attrs["href"]) if child.nesting > 0 else None
        elif child.type in ("softbreak", "hardbreak"):
            runs.append(Run("\n"))  # unstyled, so no markup spans a line
        else:
            runs.append(Run(child.content, strong > 0, em > 0, url))
    return runs


def _merge(runs: Runs) -> Runs:
    merged: Runs = []
    for run in runs:
        if not run.text:
            continue
        if merged and replace(merged[-1], text="") == replace(run, text=""):
            merged[-1] = replace(run, text=merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged


def parse(markdown: str) -> Runs:
    """Parse the Markdown subset into styled runs (newlines are runs of their own).

    Headings are bold, list items start with a marker run (``• `` or ``1. ``).
    """
    runs: Runs = []
    line = 0  # the line of ``markdown`` that the runs have reached
    lists = 0  # how deep the current list item is nested
    heading = False
    for token in _MARKDOWN.parse(_STAR_IN_WORD.sub(r"\\*", markdown)):
        if token.map:  # a block, or a block's text
            if runs and token.map[0] > line:
                runs.append(Run("\n" * (token.map[0] - line)))
            line = token.map[1] - 1 if token.type == "inline" else token.map[0]
        if token.type.endswith(("_list_open", "_list_close")):
            lists += token.nesting
        elif token.type.startswith("heading_"):
            heading = token.nesting > 0
        elif token.type == "list_item_open":
            marker = f"{token.info}{token.markup} " if token.info else "• "
            runs.append(Run("  " * (lists - 1) + marker, bullet=True))
        elif token.type == "inline":
            runs += _inline(token.children or [], heading)
    return _merge(runs)


def _hug(text: str) -> Tuple[str, str, str]:
    """Split ``text`` into leading space, core and trailing space (markers hug the core)."""
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core) :]


def telegram_html(runs: Runs) -> str:
    """Render runs as Telegram HTML (parse_mode ``HTML``), escaping ``&``, ``<`` and ``>``."""
    out = []
    for run in runs:
        lead, core, trail = _hug(run.text)
        if not core or run.bullet:
            out.append(html.escape(run.text, quote=False))
            continue
        core = html.escape(core, quote=False)
        if run.url:
            core = f'<a href="{html.escape(run.url, quote=True)}">{core}</a>'
        if run.italic:
            core = f"<i>{core}</i>"
        if run.bold:
            core = f"<b>{core}</b>"
        out.append(f"{html.escape(lead, quote=False)}{core}{html.escape(trail, quote=False)}")
    return "".join(out)


def slack_escape(text: str) -> str:
    """Escape the three characters Slack reserves: ``&``, ``<`` and ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mrkdwn(runs: Runs) -> str:
    """Render runs as Slack mrkdwn: ``*bold*``, ``_italic_``, ``<url|text>``."""
    out = []
    for run in runs:
        lead, core, trail = _hug(run.text)
        if not core or run.bullet:
            out.append(slack_escape(run.text))
            continue
        core = slack_escape(core)
        if run.url:
            core = f"<{run.url.replace('|', '%7C').replace('>', '%3E')}|{core.replace('|', '¦')}>"
        if run.italic:
            core = f"_{core}_"
        if run.bold:
            core = f"*{core}*"
        out.append(f"{slack_escape(lead)}{core}{slack_escape(trail)}")
    return "".join(out)


def plain(runs: Runs) -> str:
    """Render runs as plain text: no markup, links as ``text (url)``, items as ``- ``."""
    out = []
    for run in runs:
        if run.bullet:
            out.append(run.text.replace("•", "-"))
        elif run.url and run.text.strip() not in (run.url, run.url.split("://", 1)[-1]):
            out.append(f"{run.text} ({run.url})")
        else:
            out.append(run.text)
    return "".join(out)


def plain_text(markdown: str) -> str:
    """Strip the Markdown subset from ``markdown``."""
    return plain(parse(markdown))


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def telegram_size(runs: Runs) -> int:
    """Size of runs in a Telegram message: the visible text, entities not counted."""
    return utf16_length("".join(run.text for run in runs))


def slack_size(runs: Runs) -> int:
    """Size of runs in a Slack section block: the mrkdwn text, markup included."""
    return len(slack_mrkdwn(runs))


def cut(runs: Runs, start: int, end: int) -> Runs:
    """The runs covering visible characters ``start`` to ``end``."""
    out: Runs = []
    offset = 0
    for run in runs:
        low, high = max(start, offset), min(end, offset + len(run.text))
        if low < high:
            out.append(replace(run, text=run.text[low - offset : high - offset]))
        offset += len(run.text)
    return out


def split(runs: Runs, limit: int, size: Callable[[Runs], int]) -> List[Runs]:
    """Cut runs into parts of at most ``limit`` (as measured by ``size``).

    Args:
        runs: The parsed message.
        limit: The platform's limit for one part.
        size: How the platform measures a part.

    Returns:
        The parts, whitespace at their edges removed; never a word cut in two unless a
        single word is longer than ``limit``.

    """
    text = "".join(run.text for run in runs)
    parts: List[Runs] = []
    start = len(text) - len(text.lstrip())
    while start < len(text):
        if size(cut(runs, start, len(text))) <= limit:
            end = len(text)
        else:
            low, high = start + 1, len(text)  # largest end that fits, by bisection
            while low < high:
                middle = (low + high + 1) // 2
                if size(cut(runs, start, middle)) <= limit:
                    low = middle
                else:
                    high = middle - 1
            end = _break(text, start, low)
        piece = text[start:end].rstrip()
        if piece:
            parts.append(cut(runs, start, start + len(piece)))
        rest = text[end:]
        start = end + len(rest) - len(rest.lstrip())
    return parts


def _break(text: str, start: int, end: int) -> int:
    """Best place to end a part that may not go beyond ``end``."""
    if end < len(text) and text[end].isspace():
        window = text[start : end + 1]
    else:
        window = text[start:end]
    for pattern in _BREAKS:
        found = [m.start() + (1 if pattern.pattern.startswith("[") else 0) for m in
                 pattern.finditer(window)]
        good = [f for f in found if f > 0 and (pattern is _BREAKS[-1] or f >= len(window) // 3)]
        if good:
            return start + good[-1]
    return max(end, start + 1)


def telegram_parts(markdown: str, limit: int = TELEGRAM_LIMIT) -> List[str]:
    """Markdown as Telegram HTML messages within ``limit``."""
    return [telegram_html(part) for part in split(parse(markdown), limit, telegram_size)]


def slack_parts(markdown: str, limit: int = SLACK_LIMIT) -> List[Runs]:
    """Markdown cut into parts whose mrkdwn fits one section block."""
    return split(parse(markdown), limit, slack_size)


def numbered(titles: Sequence[str], first: int = 1) -> str:
    """Options as a numbered list: ``1. Start the pause now`` (one a line)."""
    return "\n".join(f"{number}. {title}" for number, title in enumerate(titles, first))
