"""Command-line tools: serve.py (the servers), cluster.py, data validation, NLU gate, story test.

Run them as `make` does (PYTHONPATH set to the project), e.g. ``python scripts/serve.py run``,
or as modules: ``python -m scripts.serve run``.
"""
