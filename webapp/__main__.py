"""Run the web app: ``python -m webapp``."""

from webapp.app import main

main()
