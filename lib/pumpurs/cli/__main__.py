"""`python -m pumpurs.cli`: the `pumpurs` command without its console script."""

from pumpurs.cli import main

main()
