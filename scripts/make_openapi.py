"""Write docs/platform-openapi.yaml: the OpenAPI document of the stand-in platform's FastAPI app.

Run after changing the API (simulator/platform/api.py) or a model it uses (facility/contract.py,
simulator/platform/schemas.py): .venv/bin/python scripts/make_openapi.py
tests/test_contract.py keeps the committed file equal to what the app generates.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from simulator.platform.api import openapi_document  # noqa: E402

OPENAPI = REPO / "docs" / "platform-openapi.yaml"
HEADER = (
    "# Generated from the stand-in platform's FastAPI app (simulator/platform/api.py) by scripts/make_openapi.py:\n"
    "# do not edit by hand. docs/platform-api.md says what it means.\n"
)


def openapi_text() -> str:
    """The document as YAML, in the app's order."""
    return HEADER + yaml.safe_dump(openapi_document(), sort_keys=False, allow_unicode=True, width=120)


def main() -> int:
    """Write the file; print its path."""
    OPENAPI.write_text(openapi_text(), encoding="utf-8")
    print(OPENAPI)
    return 0


if __name__ == "__main__":
    sys.exit(main())
