"""Named points where the fault suite can kill lockd, to prove nothing is lost or doubled.

Set OFFICEPASS_FAILPOINT=<name> and the process dies at once (as with SIGKILL) when it
reaches that point. Unset, this costs one dictionary look-up.
"""

from __future__ import annotations

import os

KILLED_EXIT_CODE = 86


def failpoint(name: str) -> None:
    """Die here if the fault suite asked for it."""
    if os.environ.get("OFFICEPASS_FAILPOINT") == name:
        os._exit(KILLED_EXIT_CODE)
