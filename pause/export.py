"""The export of a person's reflections: one Markdown document, oldest first.

The action server sends it in the chat or as a file; the web app serves it at a signed
download link (webapp/). The labels are the domain's responses ``utter_export_*``.
"""

from typing import Any, Dict, List

from pause.repository import Reflection
from pause.responses import response_text


def outcome_text(reflection: Reflection) -> str:
    """The check-in's answer for the export: its outcome, and the words if any were typed."""
    if not reflection.outcome:
        return "-"
    words = reflection.outcome_words
    return f"{reflection.outcome}: {words}" if words else reflection.outcome


def render_markdown(reflections: List[Reflection], domain: Dict[str, Any]) -> str:
    """Render reflections as one Markdown document, with the domain's labels."""
    title = response_text(domain, "utter_export_title")
    item = response_text(domain, "utter_export_item")
    parts = [title]
    for r in reversed(reflections):  # oldest first reads like a journal
        parts.append(
            item.format(
                date=r.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                status=r.status,
                outcome=outcome_text(r),
                **{f"pause_{step}": r.answer(step) or "-" for step in r.answers},
            )
        )
    return "\n\n".join(parts)
