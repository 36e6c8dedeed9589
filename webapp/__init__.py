"""The web page of the assistant: the chat widget, a health check and reflection downloads.

``python -m webapp`` serves it on ``RASA_HOST:WEB_PORT`` (see pause/settings.py).
"""

from webapp.app import create_app, main

__all__ = ["create_app", "main"]
