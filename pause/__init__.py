"""Pause's own logic, free of Rasa, rasa_sdk and Sanic (tests/test_layering.py checks it).

Settings and secrets, the reflections repository, the exercise's step table, the export,
signed links and web sessions, check-in times, and the sentence encoder, sentence
splitting and the crisis bank used by the NLU components. actions/, channels/, webapp/,
components/, scheduler/ and scripts/ are adapters on top of it.
"""
