"""Custom actions of the Pause companion (run by the Rasa action server).

One module per concern: config (environment), repository (reflection storage),
faq, safety, moment, exercise, reflections, insights (map aggregation).
"""
