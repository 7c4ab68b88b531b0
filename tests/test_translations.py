"""The kiosk's words come through Qt's translation system, and the compiled files match kiosk/texts.py."""

from __future__ import annotations

import importlib.util

import pytest

from kiosk.texts import I18N, TEXTS, t, translator
from tests.conftest import REPO


def make_translations():
    """The script that writes the translation files."""
    spec = importlib.util.spec_from_file_location("make_translations", REPO / "scripts" / "make_translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_committed_ts_files_match_the_texts(language: str) -> None:
    committed = (I18N / f"kiosk_{language}.ts").read_text(encoding="utf-8")
    assert committed == make_translations().ts_text(language), "run scripts/make_translations.py"


@pytest.mark.parametrize(("language", "column"), [("ja", 0), ("en", 1)])
def test_every_text_comes_from_the_compiled_translation(language: str, column: int) -> None:
    compiled = translator(language)
    assert compiled is not None
    for key, texts in TEXTS.items():
        assert compiled.translate("kiosk", key) == texts[column], key


def test_values_are_filled_in_each_language() -> None:
    assert t("welcome", "ja", name="佐藤 葵") == "ようこそ、佐藤 葵 様"
    assert t("welcome", "en", name="Aoi Sato") == "Welcome, Aoi Sato"
