"""Split a message into the sentences and clauses that are read one by one.

Real messages are stories: history first, the moment in the middle, a question last, and a
crisis sentence can sit anywhere in them. People also write run-ons with no full stop, so a
sentence of more than ``LONG_CLAUSE`` words is cut again at commas and at "but", "and",
"so" and "then", and the pieces are merged back until each has at least ``MIN_WORDS``.
"""

from __future__ import annotations

import re
from typing import List, Tuple

Span = Tuple[int, int]

MIN_WORDS = 5
LONG_CLAUSE = 24
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s|$)|\n+|;\s")
_CLAUSE_BREAK = re.compile(r",\s+|\s+(?=(?:but|and|so|then|because|cause|cuz|tho|though)\s)")
_WORD = re.compile(r"\S+")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _pieces(text: str, start: int, end: int, breaker: re.Pattern[str]) -> List[Span]:
    """Spans between the matches of ``breaker``; a "?" or "!" stays with its sentence."""
    spans: List[Span] = []
    cursor = start
    for match in breaker.finditer(text, start, end):
        if match.start() > cursor:
            spans.append((cursor, match.end()))
        cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if b > a]


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum() and text[end - 1] not in "?!":
        end -= 1
    return start, end


def _merge(text: str, spans: List[Span]) -> List[Span]:
    """Joins pieces shorter than MIN_WORDS to the one before them (or after, for the first)."""
    merged: List[Span] = []
    for span in spans:
        if merged and (_words(text[span[0]:span[1]]) < MIN_WORDS
                       or _words(text[merged[-1][0]:merged[-1][1]]) < MIN_WORDS):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return merged


def split_sentences(text: str) -> List[Span]:
    """Character spans of the sentences (and clauses of long run-ons) of ``text``, in order."""
    spans: List[Span] = []
    for start, end in _merge(text, _pieces(text, 0, len(text), _SENTENCE_END)):
        if _words(text[start:end]) > LONG_CLAUSE:
            spans += _merge(text, _pieces(text, start, end, _CLAUSE_BREAK))
        else:
            spans.append((start, end))
    return spans or ([(0, len(text))] if text.strip() else [])
