"""Write the kiosk's Qt translation files from kiosk/texts.py and compile them (pyside6-lrelease).

Run after changing kiosk/texts.py: .venv/bin/python scripts/make_translations.py
The kiosk loads kiosk/i18n/kiosk_{ja,en}.qm through QTranslator; a test keeps them in step.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.texts import CONTEXT, TEXTS  # noqa: E402

LANGUAGES = {"ja": ("ja_JP", 0), "en": ("en_GB", 1)}


def ts_text(language: str) -> str:
    """The Qt Linguist file for one language: each text's key is its source."""
    locale, column = LANGUAGES[language]
    messages = "".join(
        f"    <message>\n        <source>{escape(key)}</source>\n"
        f"        <translation>{escape(texts[column])}</translation>\n    </message>\n"
        for key, texts in sorted(TEXTS.items())
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1" language="{locale}">\n'
        f"<context>\n    <name>{CONTEXT}</name>\n{messages}</context>\n</TS>\n"
    )


def lrelease() -> str:
    """The Qt translation compiler that comes with PySide6."""
    found = shutil.which("pyside6-lrelease") or str(Path(sys.executable).parent / "pyside6-lrelease")
    return found


def main() -> int:
    """Write the .ts files and compile them to .qm."""
    folder = REPO / "kiosk" / "i18n"
    for language in LANGUAGES:
        source = folder / f"kiosk_{language}.ts"
        source.write_text(ts_text(language), encoding="utf-8")
        subprocess.run([lrelease(), "-silent", str(source), "-qm", str(folder / f"kiosk_{language}.qm")], check=True)
        print(folder / f"kiosk_{language}.qm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
