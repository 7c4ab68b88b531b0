"""Named points where the fault suite can kill lockd, to prove nothing is lost or doubled.

Set OFFICEPASS_FAILPOINT=<name> and the process dies at once (as with SIGKILL) when it
reaches that point; <name>/batch kills it only where the point is reached with two commands
or more in hand, inside a batch. Read once at start; unset, a point costs one comparison.
"""

from __future__ import annotations

import os

KILLED_EXIT_CODE = 86
WANTED = os.environ.get("OFFICEPASS_FAILPOINT", "")


def failpoint(name: str, in_hand: int = 1) -> None:
    """Die here if the fault suite asked for it (in_hand: how many commands the batch holds at this point)."""
    if WANTED and WANTED in (name, f"{name}/batch" if in_hand > 1 else name):
        os._exit(KILLED_EXIT_CODE)
