"""Pause's own logic, free of Rasa: the sentence encoder, sentence splitting, the crisis bank."""
