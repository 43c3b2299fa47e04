"""Run the CLI as `python -m qabook`."""

from qabook.cli import main

main()
