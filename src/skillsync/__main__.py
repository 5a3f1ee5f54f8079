"""`python -m skillsync` runs the command line."""

from skillsync.cli import main

main()
