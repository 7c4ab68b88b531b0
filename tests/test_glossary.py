"""The kiosk's words follow the glossary in docs/kiosk.md ('Glossary / 用語'), which this test reads, so the page and
the strings cannot drift apart: no Japanese string uses a word the glossary avoids, every term it lists is in use,
the code name never reaches a member or a colleague, and no half-width space sits inside Japanese."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from facility.reasons import Reason
from kiosk.texts import TEXTS
from tests.conftest import REPO
from tests.test_translations import every_japanese_text

DOC = REPO / "docs" / "kiosk.md"
SECTION = "## Glossary / 用語"
NONE = "—"


def glossary_section() -> str:
    """The glossary's section of docs/kiosk.md, up to the next section."""
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"docs/kiosk.md has no '{SECTION}' section"
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def glossary() -> dict[str, tuple[str, ...]]:
    """Each term of the glossary's table and the words it replaces (its last column), in the page's order."""
    terms: dict[str, tuple[str, ...]] = {}
    for line in glossary_section().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4 or set(cells[0]) <= set("-") or cells[0] == "用語":
            continue
        term, _english, _when, avoided = cells
        assert term not in terms, f"{term} is in the glossary twice"
        terms[term] = () if avoided == NONE else tuple(w.strip() for w in re.split(r"[、,]", avoided) if w.strip())
    return terms


def never_words() -> tuple[str, ...]:
    """The words no string may use in either language (the glossary's 'Never in any string' paragraph)."""
    paragraph = glossary_section().split("Never in any string", 1)
    assert len(paragraph) == 2, "the glossary has no 'Never in any string' paragraph"
    return tuple(re.findall(r"`([^`\s　]+)`", paragraph[1].split("\n\n", 1)[0]))


TERMS = glossary()
JAPANESE = every_japanese_text()  # the kiosk's own texts, the reasons, the desk checks, the vacancy
EXAMPLE_FACILITIES = "\n".join(path.read_text(encoding="utf-8") for path in sorted((REPO / "config").glob("*.toml")))
JAPANESE_CHARACTER = r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]"


def test_the_glossary_names_the_kiosk_s_terms() -> None:
    wanted = {
        "会員アプリ",
        "チェックイン",
        "入館",
        "再入館",
        "退館",
        "受付",
        "受付スタッフ",
        "同伴者",
        "受付コード",
        "入館コード",
        "予約",
        "会議室",
        "ブース",
        "満席",
        "空席",
        "営業時間",
        "本部",
    }
    assert wanted <= set(TERMS), sorted(wanted - set(TERMS))
    assert {"officepass", "発行元", "HTTP", "このアプリの版"} <= set(never_words())


def test_no_term_is_also_a_word_to_avoid() -> None:
    avoided = {word for words in TERMS.values() for word in words}
    assert not avoided & set(TERMS), sorted(avoided & set(TERMS))
    for term, words in TERMS.items():
        assert not [word for word in words if word in term], (term, words)  # a term cannot contain what it avoids


@pytest.mark.parametrize("term", sorted(TERMS))
def test_every_term_is_in_use(term: str) -> None:
    """A term the strings no longer use (nor the facility files, which name rooms and booths) leaves the glossary."""
    assert any(term in text for text in JAPANESE.values()) or term in EXAMPLE_FACILITIES, term


@pytest.mark.parametrize(("term", "avoided"), [(term, word) for term, words in TERMS.items() for word in words])
def test_no_japanese_string_uses_a_word_the_glossary_avoids(term: str, avoided: str) -> None:
    using = {key: text for key, text in JAPANESE.items() if avoided.lower() in text.lower()}
    assert not using, f"say {term}, not {avoided}: {using}"


def test_the_member_app_is_always_called_the_member_app() -> None:
    """アプリ alone could be any app on the phone (a payment app's code is a common mistake): always 会員アプリ."""
    bare = {key: text for key, text in JAPANESE.items() if re.search(r"(?<!会員)アプリ", text)}
    assert not bare, bare


def test_no_string_in_either_language_uses_the_code_name_or_jargon() -> None:
    shown = {key: " / ".join(texts) for key, texts in TEXTS.items()} | {
        f"Reason.{reason.code}": f"{reason.ja} / {reason.en}" for reason in Reason
    }
    for word in never_words():
        using = {key: text for key, text in shown.items() if word.lower() in text.lower()}
        assert not using, f"{word}: {using}"
    for language in ("ja", "en"):  # the compiled translations the kiosk reads, too
        compiled = (REPO / "kiosk" / "i18n" / f"kiosk_{language}.ts").read_text(encoding="utf-8").lower()
        assert "officepass" not in compiled


@pytest.mark.parametrize(("key", "text"), sorted(JAPANESE.items()))
def test_no_half_width_space_between_japanese_characters(key: str, text: str) -> None:
    filled = text.format_map(defaultdict(lambda: "佐藤"))  # a value is Japanese as often as not
    assert not re.search(rf"{JAPANESE_CHARACTER} +{JAPANESE_CHARACTER}", filled), f"{key}: {text!r}"
