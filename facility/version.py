"""The version of the installed programs, as the package says it (shown to Home Assistant and technicians)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("officepass-edge")
except PackageNotFoundError:  # run from a checkout that was never installed
    VERSION = "0+checkout"
