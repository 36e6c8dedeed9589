"""Custom Rasa graph components for the pause-before-the-exit assistant."""
