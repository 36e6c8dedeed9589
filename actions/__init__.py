"""Custom actions of the Pause companion (run by the Rasa action server).

Thin adapters over the core package ``pause/`` (settings, the reflections repository,
links, the step table, export rendering): one module per concern, faq, fallback,
safety, safety_check (the help line near crisis), exercise, steps (the form's validation),
checkins, reflections, insights.
"""
