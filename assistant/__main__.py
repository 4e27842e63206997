"""`python -m assistant` runs the CLI."""

from .cli import main

main()
