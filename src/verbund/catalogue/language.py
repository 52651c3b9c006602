"""Verbund's German text analyser for the search (pure: no database).

The same functions analyse the catalogue when it is indexed and the citizen's words when
they search, so that both meet in the same terms:

- `fold`: lower case, umlauts and ß written out (ä→ae, ß→ss), other accents dropped, so
  "Führerschein", "Fuehrerschein" and "FÜHRERSCHEIN" are one word;
- `stem`: the Snowball German stemmer (the algorithm of PostgreSQL's `german`
  configuration), which also maps "Anmeldung" and "anmelden" to one stem;
- `split_compound`: splits a compound into words of the catalogue's own vocabulary
  ("Führerscheinumtausch" → Führerschein + Umtausch), allowing the linking letters (Fugen)
  of German compounds;
- `edit_distance` and `trigrams` for typo correction.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable

import Stemmer

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
# Letters that carry no combining mark to drop but are variants of a base letter: Turkish
# dotless i, Vietnamese and Croatian d with stroke, Polish l with stroke, Danish o.
_STROKES = str.maketrans({"ı": "i", "đ": "d", "ł": "l", "ø": "o", "ħ": "h"})
# A word: letters and digits of any script (Latin, Cyrillic, Arabic, …).
_TOKEN = re.compile(r"[^\W_]+")
_STEMMER = Stemmer.Stemmer("german")
_VOWEL = re.compile("[aeiouy]")
_RUSSIAN = Stemmer.Stemmer("russian")
_ARABIC = Stemmer.Stemmer("arabic")
_ENGLISH = Stemmer.Stemmer("english")
# The Arabic article and the conjunctions and prepositions written together with it.
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")


# Function words of German and English questions ("ich bin umgezogen", "how do I register
# my address"). Content words stay, even common ones such as "neu" or "kind". "Zu Hause",
# "nach Hause", "zuhause" say where the citizen is, not what the query is about ("Hause"
# is only this idiom's dative).
def _word_list(text: str) -> list[str]:
    return text.split()


STOPWORDS = frozenset(
    _word_list(
        """
    ich du er sie es wir ihr man mein meine meinen meinem meiner meines dein deine unser
    unsere unserem unseren euer eure sein seine seinen seinem ihre ihren ihrem mich mir
    dich dir uns euch sich der die das den dem des ein eine einen einem einer eines und
    oder aber auch noch schon nur sehr so als wie wo was wer wen wem wann warum wieso
    welche welcher welches welchen ob dass weil wenn denn doch mal bitte danke hallo
    fuer mit von vom zu zum zur im in ins am an auf aus bei beim nach ueber unter vor
    hinter neben zwischen durch gegen ohne um bis seit ab
    ist bin bist sind seid war waren wird werden wurde wurden hat habe hast haben hatte
    hatten kann kannst koennen muss musst muessen will willst wollen moechte moechten
    soll sollte darf duerfen brauche brauchst brauchen benoetige gibt geht gehen tun
    machen mache macht gemacht lassen laesst jetzt heute gestern morgen hier dort da
    dieser diese dieses diesen kein keine keinen nicht nichts
    wegen leute jemand etwas einfach immer mehr viel viele also dann damit dafuer davon
    dazu falls trotzdem eigentlich ueberhaupt ne nen nem ner is nich gibts krieg kriege
    kriegt kriegen sollen wollte will wuerde waere sonst jetzt einen irgendwo irgendwie
    hause zuhause
    i me my mine we our you your he she it its they their a an the and or of to for in
    on at by with from how do does did can could would should is am are was were be been
    want need get please where what when which who
    """
    )
)

# Parts of compounds are at least this long, except these short words of the domain.
MIN_PART = 4
SHORT_PARTS = frozenset({"amt", "bau", "ehe", "kfz", "pkw", "lkw", "tag", "weg", "hof", "rad"})
# Linking letters between the parts of a German compound (Fugenelemente).
LINKS = ("es", "en", "s", "n", "e")


def fold(text: str) -> str:
    """Lower case with umlauts and ß written out and other accents dropped; letters of
    other scripts (Cyrillic, Arabic) stay, without their combining marks."""
    lowered = text.lower().translate(_UMLAUTS)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered.translate(_STROKES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_STROKES)


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _TOKEN.findall(fold(text))


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball German stem of a folded word; numbers stay as they are.

    Nouns in -erung are stemmed as their verb in -ern ("Verlängerung" as "verlängern"),
    which Snowball otherwise keeps apart ("verlanger" and "verlang").
    """
    if not word.isalpha() or not word.isascii():
        return word
    if word.endswith("erungen"):
        word = word[:-5] + "n"
    elif word.endswith("erung"):
        word = word[:-3] + "n"
    stemmed = str(_STEMMER.stemWord(word))
    # Snowball drops -ung only in its region R2, so a noun of a short verb keeps it
    # ("Teilung", "Bohrung", "Haltung" against "teilen", "bohren", "halten"): the verb's
    # stem, when a vowel is left ("Sprung" stays). Only a noun in -ung: the stem of a verb
    # may end in -ung as well ("verhungern": "verhung", not "verh").
    if (
        stemmed.endswith("ung")
        and word.endswith(("ung", "ungen"))
        and len(stemmed) >= 6
        and _VOWEL.search(stemmed[:-3])
    ):
        return stemmed[:-3]
    return stemmed


@functools.lru_cache(maxsize=50_000)
def english_stem(word: str) -> str:
    """The Snowball English stem of a folded word, under which the inflected forms of an
    English word meet the thesaurus ("tearing down" its "tear down", "notified" its
    "notify"); words with digits or other letters stay as they are."""
    if not word.isalpha() or not word.isascii():
        return word
    return str(_ENGLISH.stemWord(word))


def is_foreign_script(word: str) -> bool:
    """Whether a folded word is written in another script than Latin."""
    return not word.isascii() and any(c.isalpha() and not c.isascii() for c in word)


@functools.lru_cache(maxsize=50_000)
def foreign_form(word: str) -> str:
    """The form under which a folded word of another language meets the entries of the
    multilingual lexicon: Cyrillic words by their Russian Snowball stem (Ukrainian shares
    most endings), Arabic words without article by the Arabic stem, words in Latin script
    (Turkish, Polish, Romanian, Vietnamese once folded) by their first five letters, which
    is where their inflection does not reach."""
    if any("\u0400" <= c <= "\u04ff" for c in word):
        return str(_RUSSIAN.stemWord(word))[:6]
    if any("\u0600" <= c <= "\u06ff" for c in word):
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                word = word[len(prefix) :]
                break
        return str(_ARABIC.stemWord(word))
    return word[:5]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def split_compound(word: str, is_word: Callable[[str], bool]) -> list[str] | None:
    """Split a compound into the fewest known words (at least two), or None.

    `is_word` says whether a folded string is a word of the vocabulary. Between two parts
    one linking element may stand ("Hund-e-steuer", "Betreuung-s-platz").
    """
    n = len(word)
    if n < 2 * MIN_PART - 1:
        return None

    def fits(part: str) -> bool:
        return (len(part) >= MIN_PART or part in SHORT_PARTS) and is_word(part)

    @functools.cache
    def best(i: int) -> tuple[str, ...] | None:
        # the fewest parts covering word[i:]; longer first parts win ties
        if i == n:
            return ()
        found: tuple[str, ...] | None = None
        # the whole word is not a split of itself
        for j in range(n if i else n - 1, i + 2, -1):
            part = word[i:j]
            if not fits(part):
                continue
            starts = (
                [j]
                if j == n
                else [j, *(j + len(link) for link in LINKS if word.startswith(link, j))]
            )
            for k in starts:
                if k != n and n - k < 3:
                    continue
                rest = best(k)
                if rest is not None and (found is None or 1 + len(rest) < len(found)):
                    found = (part, *rest)
        return found

    parts = best(0)
    if parts is None or len(parts) < 2:
        return None
    return list(parts)


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap neighbours),
    cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# Languages whose common words are no typos, though the catalogue may not use them.
COMMON_WORD_LANGUAGES = ("de", "en")
_RESTORED_UMLAUTS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))


@functools.lru_cache(maxsize=50_000)
def is_common_word(word: str) -> bool:
    """Whether a folded word is common German or English: in wordfreq's small list of the
    language, the words written at least once in a million ("kunde", "passiert",
    "wiese"). Such a word is meant as written and not corrected to a word of the
    catalogue ("hunde", "passport", "weise"); a misspelling ("genemigung", "hausnumer")
    is not in the lists. The umlauts the folding wrote out are tried as umlauts too."""
    from wordfreq import zipf_frequency  # 0.3 s to import: only where a query needs it

    spellings = {word}
    restored = word
    for plain, umlaut in _RESTORED_UMLAUTS:
        restored = restored.replace(plain, umlaut)
    spellings.add(restored)
    return any(
        zipf_frequency(spelling, lang, wordlist="small") > 0
        for spelling in spellings
        for lang in COMMON_WORD_LANGUAGES
    )


@functools.lru_cache(maxsize=50_000)
def is_german_word(word: str) -> bool:
    """Whether a folded word is a German word written at least once in a million (wordfreq's
    small list; the umlauts the folding wrote out restored as well)."""
    from wordfreq import zipf_frequency  # 0.3 s to import: only where a query needs it

    restored = word
    for plain, umlaut in _RESTORED_UMLAUTS:
        restored = restored.replace(plain, umlaut)
    return any(zipf_frequency(form, "de", wordlist="small") > 0 for form in {word, restored})


def load_word_lists() -> None:
    """Load the word lists `is_common_word` and `is_german_word` read (for the server's
    warm-up; a word no list holds makes each look into every list)."""
    is_common_word("qxvzqj")
    is_german_word("qxvzqj")


# The letters German inflection puts at a word's end (-e, -en, -er, -es, -st, -t): two
# forms of one word of the same length differ there ("kaufe", "kauft").
ENDING_LETTERS = frozenset("enrst")


def differ_in_ending(word: str, other: str) -> bool:
    """Whether two words agree in all but at most the last letter of the shorter one,
    as forms of one word do ("brauch", "braucht"; "gehn", "gehen"; "taxi", "taxen"), and
    not two words that differ at the start ("kunde", "hunde") or inside ("gehege",
    "gehweg"). Of two words of the same length, the last letters must both be endings
    (`ENDING_LETTERS`): "kaufe" and "kauft" are one word, "raus" and "raum", "kaum" and
    "kauf", "Welt" and "well" are not."""
    shared = 0
    for a, b in zip(word, other, strict=False):
        if a != b:
            break
        shared += 1
    if shared < min(len(word), len(other)) - 1:
        return False
    if len(word) == len(other) and word != other:
        return word[-1] in ENDING_LETTERS and other[-1] in ENDING_LETTERS
    return True


def max_typos(word: str) -> int:
    """How many typos a word of this length may carry and still be corrected."""
    if len(word) < 4 or not word.isalpha():
        return 0
    return 1 if len(word) < 8 else 2


def trigrams(word: str) -> set[str]:
    """The trigrams of a word as PostgreSQL's pg_trgm forms them (two spaces before, one
    after), so that the SQLite path finds the same typo candidates."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def trigram_similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def deletions(word: str, depth: int = 1) -> set[str]:
    """The strings one (or `depth`) deleted letters away: the neighbourhood under which
    short words with a swapped or wrong letter still meet their correction."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def analyse(text: str) -> list[str]:
    """The stems of the content words of a text, in order."""
    return [stem(w) for w in content_words(text)]


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def unique_ints(items: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(items))
