"""The ``footcast`` executable: ``footcast worker`` starts without loading the other
commands (their imports take seconds), everything else goes to ``cli.main``."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["worker"]:
        from cli.worker import worker

        worker(args=sys.argv[2:], prog_name="footcast worker")
    else:
        from cli.main import main as footcast

        footcast()


if __name__ == "__main__":
    main()
