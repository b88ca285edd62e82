"""Run a module as a background process: `python -m kb_tui.background MODULE ARG...`.

The process lowers its own priority (`nice`) before it imports anything else, then runs MODULE as
`python -m MODULE ARG...` would. The portfolio's second pass starts while the UI imports Textual:
lowered only once its own module had been imported, its interpreter's start-up and first imports
ran at the UI's priority and delayed the UI's first frame on a busy machine.
"""

from __future__ import annotations

import os
import runpy
import sys

NICENESS = 10  # added to the parent's: what `nice` gives a command by default


def main() -> None:
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    module, sys.argv = sys.argv[1], sys.argv[1:]  # MODULE's own argv: [its path, ARG...] once it runs
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
