"""A story that tells a moment and asks about it, read as both instead of neither.

"We had the best weekend and by Tuesday I didn't want to see him. Why?" is a moment and a
question at once. The classifiers then rank ``share_experience`` and ``faq`` first and second,
too close or too unsure for the FallbackClassifier, which takes the message, and the person
gets topic suggestions instead of either. When the ResponseSelector is sure of the topic, the
message is a question told with its moment: the answer reflects the moment, answers, and
offers the pause (``action_answer_faq`` with ``pause_moment``). The threshold was set on the
spent sets, round 5, dev and the first set (README, "Understanding how people write").
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Tuple

from pause.intents import FALLBACK as FALLBACK_INTENT
from pause.intents import MOMENT as MOMENT_INTENT
from pause.intents import QUESTION as QUESTION_INTENT

#: The ResponseSelector's confidence in its topic at which a tie is read as both.
TOPIC_CONFIDENCE = 0.6


def reads_as_both(intent: Optional[str], ranking: Iterable[Mapping[str, Any]],
                  topic_confidence: float, threshold: float = TOPIC_CONFIDENCE) -> bool:
    """Whether a message the fallback took is a moment and a question with a sure topic.

    Args:
        intent: The message's intent after the FallbackClassifier.
        ranking: Its intent ranking (``name``), the fallback included.
        topic_confidence: The ResponseSelector's confidence in its first topic.
        threshold: The confidence from which the topic is taken.
    """
    if intent != FALLBACK_INTENT:
        return False
    names = [str(e.get("name")) for e in ranking if e.get("name") != FALLBACK_INTENT][:2]
    return set(names) == {QUESTION_INTENT, MOMENT_INTENT} and topic_confidence >= threshold


def moment_span(text: str, question: Optional[Mapping[str, int]]) -> Tuple[int, int]:
    """Where the moment is told: the text before the question, or all of it."""
    end = int(question["start"]) if question and int(question.get("start", 0)) > 0 else len(text)
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return 0, end
