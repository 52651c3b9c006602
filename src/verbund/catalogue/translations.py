"""The language of a search query and the curated services' names in that language, for
the result page: a query in Ukrainian finds the German service, and the page also says in
Ukrainian what the service is (decision 0016, addendum "names in the query's language").

Functions over the shipped files (no database): `translations.toml` (the names, by slug
and language) and the search's multilingual lexicon (`lexicon.toml`, the words of each
language the search understands).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from verbund.catalogue import language
from verbund.catalogue.search import LEXICON

TRANSLATIONS = Path(__file__).resolve().parent / "translations.toml"

# The languages of the names; the lexicon has all of them but English.
LANGUAGES = ("en", "uk", "ru", "ar", "tr", "pl", "ro", "vi")
# Letters that only one of the languages writes (among these and German); ş and ţ with a
# cedilla are the older Romanian spelling and Turkish, so they decide nothing alone.
_OWN_LETTERS = {
    "uk": frozenset("іїєґ"),
    "ru": frozenset("ыэъё"),
    "vi": frozenset("ơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"),
    "tr": frozenset("ğı"),
    "pl": frozenset("ąęłśźżń"),
    "ro": frozenset("șț"),
}


def _listed(text: str) -> list[str]:
    return text.split()


# Function words of English questions that German never writes (decisive for English);
# not "a", "an" or "i", which German writes too ("Grundsteuer A", "an", "ALG I").
_ENGLISH = frozenset(
    _listed(
        "the my how do does can could where what which when who need want get is are of "
        "to for our your with from lost new"
    )
)
_GERMAN = frozenset(
    _listed(
        "der die das den dem des ich mein meine wie wo was wer ist bin muss kann fuer mit "
        "von zu zum zur und oder ein eine einen neue neuen beantragen anmelden"
    )
)


@functools.cache
def names() -> dict[str, dict[str, str]]:
    """slug → language → the service's name in that language."""
    with TRANSLATIONS.open("rb") as fh:
        raw = tomllib.load(fh)
    return {
        slug: {lang: str(text) for lang, text in table.items() if lang in LANGUAGES}
        for slug, table in raw.items()
    }


@functools.cache
def _lexicon_forms() -> dict[str, frozenset[str]]:
    """language → the `foreign_form`s of the words of its lexicon section."""
    with LEXICON.open("rb") as fh:
        raw = tomllib.load(fh)
    return {
        lang: frozenset(
            language.foreign_form(word) for key in section for word in language.words(key)
        )
        for lang, section in raw.items()
    }


def query_language(text: str) -> str:
    """The language of a search query among `LANGUAGES`, or "" for German or when the words
    do not tell (a Cyrillic word that Ukrainian and Russian share, a name).

    Decided by the script (Arabic), letters only one language writes, and the words of
    each language's lexicon section (English: its function words against German ones)."""
    lowered = text.lower()
    folded = language.words(text)
    if not folded:
        return ""
    if any("\u0600" <= c <= "\u06ff" for c in lowered):
        return "ar"
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for lang, letters in _OWN_LETTERS.items():
        if any(c in letters for c in lowered):
            scores[lang] += 2
    cyrillic = any("\u0400" <= c <= "\u04ff" for c in lowered)
    forms = _lexicon_forms()
    for word in folded:
        # A word in Latin letters that is common German or English ("Auto", "Firma",
        # "Register") says nothing of the other languages that write it too.
        if not cyrillic and language.is_common_word(word):
            continue
        form = language.foreign_form(word)
        for lang in LANGUAGES:
            if form in forms.get(lang, ()):
                scores[lang] += 1
    if cyrillic:
        scores = {lang: scores[lang] for lang in ("uk", "ru")}
    else:
        # Without its own letters, a language needs two words of its lexicon: a German
        # word may begin as one of its words does (five letters).
        for lang in ("tr", "pl", "ro", "vi"):
            if scores[lang] < 2:
                scores[lang] = 0
        english = sum(word in _ENGLISH for word in folded)
        german = sum(word in _GERMAN for word in folded)
        if english > german:
            scores["en"] += 2 * english
    best = max(scores.values())
    leaders = [lang for lang, score in scores.items() if score == best]
    return leaders[0] if best > 0 and len(leaders) == 1 else ""


def name_in(slug: str, lang: str) -> str:
    """The service's name in `lang`, or "" where there is none."""
    return names().get(slug, {}).get(lang, "") if lang else ""
