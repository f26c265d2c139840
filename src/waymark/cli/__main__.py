"""``python -m waymark.cli``."""

from waymark.cli.main import main

main()
