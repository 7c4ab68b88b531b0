"""Write the contract's schemas (facility/contract.py) into docs/platform-openapi.yaml, between its markers."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facility.contract import OPENAPI_BEGIN, OPENAPI_END, openapi_schemas_block

OPENAPI = Path(__file__).resolve().parent.parent / "docs" / "platform-openapi.yaml"


def main() -> int:
    """Replace the generated block; print the file's path."""
    text = OPENAPI.read_text(encoding="utf-8")
    block = re.compile(re.escape(OPENAPI_BEGIN) + r".*?" + re.escape(OPENAPI_END), re.DOTALL)
    if not block.search(text):
        print(f"{OPENAPI}: the markers are missing", file=sys.stderr)
        return 1
    OPENAPI.write_text(block.sub(lambda _: openapi_schemas_block(), text), encoding="utf-8")
    print(OPENAPI)
    return 0


if __name__ == "__main__":
    sys.exit(main())
