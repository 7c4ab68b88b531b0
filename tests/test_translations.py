"""The kiosk's words come through Qt's translation system, and the compiled files match kiosk/texts.py."""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict

import pytest

from facility.reasons import Reason
from facility.rules.capacity import Vacancy
from facility.rules.desk import DeskCheckDue
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
    assert t("welcome", "ja", name="佐藤") == "ようこそ、佐藤様"
    assert t("welcome", "en", name="Sato") == "Welcome, Sato"


def every_japanese_text() -> dict[str, str]:
    """Every Japanese text a person can read on the kiosk: its own, the reasons, the desk checks, the vacancy."""
    worded = [*Reason, *DeskCheckDue, *Vacancy]
    return {key: ja for key, (ja, _) in TEXTS.items()} | {f"{type(w).__name__}.{w.code}": w.ja for w in worded}


# A half-width space with a Japanese character (or full-width punctuation) on either side.
SPACE_IN_JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef] | [\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize(("key", "text"), sorted(every_japanese_text().items()))
def test_japanese_has_no_half_width_brackets_or_spaces(key: str, text: str) -> None:
    assert not set(text) & set("()[]"), f"{key}: half-width brackets in {text!r}"
    assert not SPACE_IN_JAPANESE.search(text.format_map(defaultdict(lambda: "1"))), (
        f"{key}: a half-width space in {text!r}"
    )


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_both_languages_take_the_same_values(key: str) -> None:
    ja, en = TEXTS[key]
    assert set(re.findall(r"{(\w+)}", ja)) == set(re.findall(r"{(\w+)}", en))


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_english_never_reads_1_members(key: str) -> None:
    # A count followed by a plural noun reads wrong for 1: the texts put counts after a colon instead.
    counts = "|".join(("n", "members", "companions", "queued", "dead", "failures", "restarts", "s", "left"))
    assert not re.search(rf"{{(?:{counts})}} [a-z]+s\b", TEXTS[key][1]), TEXTS[key][1]
