"""Search in people's own words, ranked the same way on SQLite and PostgreSQL.

A query goes through five steps:

1. **Analysis** (`analyse_query`): the words are folded and stemmed like the catalogue
   (`catalogue.language`); phrases and words of the thesaurus (`thesaurus.toml`: everyday,
   colloquial and English words → catalogue words) add alternatives; unknown words are
   split into known compounds or corrected when they are a typo of a known word. Each
   content word becomes a *concept* with weighted alternative terms.
2. **Retrieval** in the database: SQLite FTS5 (`catalogue_search_fts`) or PostgreSQL full
   text (`catalogue_searchentry.document`) return the services holding any selective term;
   typo candidates come from pg_trgm on PostgreSQL and from the same trigram measure in
   memory on SQLite.
3. **Scoring** in Python, identical for both databases: per concept the best alternative,
   weighted by the field it occurs in (name, synonyms, compound parts, text) and by how rare
   it is; multiplied by the share of concepts the service covers. Life situations count
   for the services the editors linked to them, the first most.
4. **Ordering**: curated services, the ones citizens ask for, rise above the LeiKa
   sub-variants of the same OZG-Leistung or Leistungsobjekt; outdated 2019 keys sink.
5. **Fusion** with the semantic signal (`catalogue.semantic`): the query's sentence
   embedding against every service's, a dot product over the whole catalogue. When the
   lexical best answers the query well (`answered`), the lexical ranking stands and the
   query is not embedded; otherwise (words the vocabulary does not know, a question in
   another script, the long tail) the two rankings are mixed by weight, normalised to
   their best, the semantic one weighing much. A service found by meaning alone counts
   less when neither the words nor its closest neighbours support its domain.
"""

from __future__ import annotations

import math
import threading
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction

from verbund.catalogue import language, semantic
from verbund.catalogue.language import fold, stem, words

THESAURUS = Path(__file__).resolve().parent / "thesaurus.toml"
LEXICON = Path(__file__).resolve().parent / "lexicon.toml"
# The thesaurus's section of English words and phrases.
ENGLISH_SECTION = "englisch"

# How much a match counts, by the field it is found in.
FIELD_WEIGHTS = {
    "names": 1.0,
    "terms": 0.9,
    "name_parts": 0.7,
    "term_parts": 0.6,
    "body": 0.35,
}
# The columns of the index, in the order the database returns them.
COLUMNS = ("names", "name_parts", "terms", "term_parts", "body")
# The fields from the strongest to the weakest, so the first one holding a term counts.
FIELDS = tuple(sorted(FIELD_WEIGHTS, key=lambda name: -FIELD_WEIGHTS[name]))
# How much an alternative counts, by where it came from.
EXACT = 1.0
THESAURUS_WEIGHT = 0.85
COMPOUND_PART = 0.9
PHRASE_WORD = 0.5
COMPOUND_HEAD = 0.6
COMPOUND_MODIFIER = 0.5
MODIFIER_MIN = 5
TYPO = {1: 0.75, 2: 0.55}
LEBENSLAGE_WEIGHT = 0.7
CURATED_FACTOR = 1.35
# The share of the query's evidence (idf-weighted concepts) a service must answer before
# curation or an editorial boost lifts it; and how steeply partial answers fall.
STRONG_MATCH = 0.75
EVIDENCE_POWER = 1.5
# A concept answered by its word, a stated synonym or a compound part counts fully as
# evidence; by a guess (a typo's correction, a compound it may be part of, an unknown
# compound's head) only in the measure of the guess's weight. The head of a known
# compound the query names tells, besides, only as much as it is rare: any Steuer
# answers a "Gewerbesteuer" in the measure "Steuer" tells of it (decision 0033).
EVIDENCE_QUALITY = THESAURUS_WEIGHT
OUTDATED_FACTOR = 0.75
VARIANT_GAP = 0.97
# A curated service caps its sub-variants only when it scores at least this share of them.
GROUP_CAP_RATIO = 0.4
FAMILY_CAP_RATIO = 0.6
# Terms held by more services than this do not select candidates on their own.
SELECTIVE_DF = 250
CANDIDATES = 400
TRIGRAM_THRESHOLD = 0.3
MAX_QUERY_WORDS = 12
# The stem of the second word of a compound of stems has at least this many letters
# ("teil" of "teilen"): a shorter one ("geb" of "geben") ends too many words.
MIN_STEM_JOIN = 4
# The relevance floor of the result page: a result is shown when it scores at least this
# share of the best one and answers at least this share of the query's evidence. Half the
# best keeps every answer the dev sets rank in their top 5 and shows 6 results for the
# median query instead of 30 at 0.15 (decision 0033).
FLOOR_RATIO = 0.5
# ... and a service that matched no word of the query, found by meaning alone, at least
# this share: e5 puts many services near any sentence, so their scores lie close
# together (the same dev queries: 25 instead of 68 show the full 50, no answer lost).
FLOOR_RATIO_MEANING = 0.7
FLOOR_EVIDENCE = 0.3
# ... or, for an embedded query, a service that matched one of its words and is among the
# closest in meaning: two independent signals agree although the vocabulary knows only part
# of the words (a query in English, say, whose "property tax" is known but not the rest).
FLOOR_AGREEMENT = 0.8
# Fusion with the semantic signal (measured on the dev sets, docs/decisions/0028): its
# weight when the lexical best answers the query well (evidence >= STRONG_MATCH) and when
# it does not; a service's semantic value falls from 1 at the closest service to 0 at
# SEMANTIC_SPAN below it (e5 cosines crowd into a narrow band); the closest services
# join the lexical candidates.
SEMANTIC_WEIGHT_STRONG = 0.2
SEMANTIC_WEIGHT_WEAK = 0.7
# A rare word the vocabulary does not know ("sozialpsychiatrischer", "Straßenlaterne":
# neither common German nor English, nor read by the lexicon of other languages) names what
# the query is about, and the lexical ranking cannot see it: the weak weight rises by
# RARE_WORD_GAIN times the share of the query's words that are such words, up to
# SEMANTIC_WEIGHT_MAX. The share, not the count: one such word in a short query is most of
# it, in a long question one word of many (decision 0033).
RARE_WORD_GAIN = 0.3
SEMANTIC_WEIGHT_MAX = 0.9
SEMANTIC_SPAN = 0.1
SEMANTIC_CANDIDATES = 50
# A service found by meaning alone is a stranger when neither the words nor its neighbours
# in meaning support its domain (Leistungsgruppe, the key's first five digits; OZG-Leistung;
# Leistungsobjekt): none of the best DOMAIN_TOP lexical answers shares one, and fewer than
# DOMAIN_SUPPORT others of the DOMAIN_NEIGHBOURS closest services do. Its closeness then
# counts DOMAIN_STRANGER (e5 puts a lone ombudsman near a question about a snack bar's
# hygiene instruction, but several Taxigenehmigung variants near a question about a taxi
# licence its words miss; decision 0033).
# A service found by meaning alone for a German query whose every word the vocabulary
# reads counts its closeness MEANING_ALL_WORDS_READ: had the words named it, they would
# have found it (e5 put an air-traffic clearance first for a question about a child's
# passport for a flight, every word of which the vocabulary knows; decision 0033).
MEANING_ALL_WORDS_READ = 0.9
DOMAIN_TOP = 20
DOMAIN_NEIGHBOURS = 10
DOMAIN_SUPPORT = 2
DOMAIN_STRANGER = 0.85
# A German word of the query that the vocabulary does not know is evidence no service
# answers lexically: each one lowers the lexical best's share as if the known words
# weighed this many unknown ones ("Erlaubnis für ein Feuerwerk": only "Erlaubnis" is
# known, and a service with it is no strong answer).
UNKNOWN_WORD_SHARE = 3
UNKNOWN_WORD_MIN = 4
# Particles of German separable verbs (an-melden, ab-melden, um-ziehen, …).
SEPARABLE_PARTICLES = frozenset(
    ["an", "ab", "auf", "aus", "ein", "mit", "nach", "vor", "weg", "zu", "zurueck", "um", "los"]
)
# Spoken German shortens the particles in her-: "finde … raus" is herausfinden.
SHORT_PARTICLES = {
    "raus": "heraus",
    "rein": "herein",
    "runter": "herunter",
    "rauf": "herauf",
    "rueber": "herueber",
}
PHRASE_MAX = 4
# An unknown word of at least this length finds the known compounds it begins or ends.
AFFIX_MIN = 5
AFFIX_ALTERNATIVES = 4
AFFIX_WEIGHT = 0.8


@dataclass
class Concept:
    """One thing the query asks for, with the terms that would satisfy it."""

    text: str
    alternatives: dict[str, float] = field(default_factory=dict)
    # the known word a typo was corrected to, for "Meinten Sie …?"
    correction: str = ""
    # the catalogue words (folded) a thesaurus or lexicon entry gave it
    meanings: list[str] = field(default_factory=list)
    # the part of an unknown compound the vocabulary does not know, when the concept
    # stands for the compound by its other part ("buecherei" of "Büchereiausweis")
    unknown_part: str = ""
    # read through the lexicon of other languages: the query is not German, and its words
    # that the lexicon lacks are no rare German words
    foreign: bool = False
    # the head of the known compound the concept names ("steu" of "Gewerbesteuer"): a
    # service holding only the head answers the concept in the measure the head tells
    heads: set[str] = field(default_factory=set)

    def add(self, term: str, weight: float) -> None:
        if weight > self.alternatives.get(term, 0.0):
            self.alternatives[term] = weight


@dataclass(frozen=True)
class Hit:
    service_id: int
    score: float
    coverage: float = 1.0
    # the share of the query's evidence (idf-weighted concepts) the service answers
    evidence: float = 1.0
    # for a service that matched a word of an embedded query: how close it is in meaning,
    # from 1 (the closest service) to 0 (SEMANTIC_SPAN below it); both signals agreeing
    agreement: float = 0.0

    @property
    def by_meaning_alone(self) -> bool:
        """Found by the semantic side only: the service matched no word of the query
        (every lexical hit matched at least one, so its coverage is above 0)."""
        return self.coverage == 0


Row = tuple[int, str, str, str, str, str]


@dataclass(frozen=True)
class ServiceInfo:
    is_curated: bool
    is_outdated: bool
    boost: float
    groups: tuple[str, ...]
    family: str = ""


@cache
def thesaurus_sections() -> dict[str, dict[str, list[str]]]:
    """The thesaurus file as written: section → key → meanings."""
    with THESAURUS.open("rb") as fh:
        return tomllib.load(fh)


@cache
def thesaurus() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Folded word sequence → the catalogue words it means (folded)."""
    raw = thesaurus_sections()
    table: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for section in raw.values():
        for key, meanings in section.items():
            phrase = tuple(words(key))
            if not phrase:
                continue
            for meaning in meanings:
                for word in words(meaning):
                    if word not in language.STOPWORDS and word not in table[phrase]:
                        table[phrase].append(word)
    return {k: tuple(v) for k, v in table.items()}


@cache
def english_thesaurus() -> dict[tuple[str, ...], tuple[str, ...]]:
    """The English phrases of the thesaurus by the English stems of their words, for the
    inflected forms the thesaurus does not list ("tearing down", "notified")."""
    english = thesaurus_sections().get(ENGLISH_SECTION, {})
    table = thesaurus()
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key in english:
        phrase = tuple(words(key))
        if phrase in table:
            out.setdefault(tuple(language.english_stem(w) for w in phrase), table[phrase])
    return out


@cache
def foreign_lexicon() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Words of other languages, by their `foreign_form`s → the catalogue words they mean
    (folded)."""
    with LEXICON.open("rb") as fh:
        raw = tomllib.load(fh)
    table: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for section in raw.values():
        for key, meanings in section.items():
            phrase = tuple(language.foreign_form(w) for w in words(key))
            if not phrase:
                continue
            for meaning in meanings:
                for word in words(meaning):
                    if word not in language.STOPWORDS and word not in table[phrase]:
                        table[phrase].append(word)
    return {k: tuple(v) for k, v in table.items()}


def lexicon_entries() -> list[str]:
    """The keys of the multilingual lexicon as written (for the check against the dev sets)."""
    with LEXICON.open("rb") as fh:
        raw = tomllib.load(fh)
    return [key for section in raw.values() for key in section]


class Engine:
    """The in-memory side of one index version: vocabulary, document frequencies,
    service flags and life situations. Rebuilt when the index version changes."""

    def __init__(
        self,
        *,
        version: int,
        vocabulary: Iterable[tuple[str, str, int]],
        services: dict[int, ServiceInfo],
        lebenslagen: list[tuple[set[str], list[int]]],
        curated_terms: dict[int, frozenset[str]] | None = None,
        vectors: tuple[list[int], npt.NDArray[np.float32]] | None = None,
    ) -> None:
        self.version = version
        ids, self.vectors = vectors or ([], semantic.matrix([]))
        self.vector_ids = np.asarray(ids, dtype=np.int64)
        self.vector_row = {pk: row for row, pk in enumerate(ids)}
        self.curated_terms = curated_terms or {}
        self.word_stem: dict[str, str] = {}
        self.df: dict[str, int] = {}
        for word, word_stem, df in vocabulary:
            self.word_stem[word] = word_stem
            if df:
                self.df[word_stem] = max(df, self.df.get(word_stem, 0))
        self.services = services
        self.n_docs = max(len(services), 1)
        self.lebenslagen = lebenslagen
        self.lexicon = frozenset(self.word_stem) | frozenset(self.word_stem.values())
        self._trigram_index: tuple[dict[str, list[str]], dict[str, int]] | None = None
        self._idf: dict[str, float] = {}
        self._deletion_index: dict[str, list[str]] | None = None
        self._affix_index: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    # -- vocabulary ------------------------------------------------------------------

    def known(self, term: str) -> bool:
        return term in self.df

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            df = self.df.get(term, 0)
            value = math.log(1 + self.n_docs / (df + 1)) / math.log(1 + self.n_docs)
            self._idf[term] = value
        return value

    def is_word(self, part: str) -> bool:
        return part in self.lexicon

    def part_stem(self, part: str) -> str:
        if part in self.df:
            return part
        return self.word_stem.get(part) or stem(part)

    def compounds_with(self, word: str) -> list[str]:
        """Known compounds that begin or end with an unknown word, rarest first:
        "aufforsten" is in "Erstaufforstung", "Kurzarbeit" in "Kurzarbeitergeld"."""
        if len(word) < AFFIX_MIN or not word.isalpha():
            return []
        found = self._affixes().get(stem(word), [])
        stems = language.unique(self.word_stem[w] for w in found)
        stems = [s for s in stems if self.known(s)]
        stems.sort(key=lambda s: self.df.get(s, 0))
        return stems[:AFFIX_ALTERNATIVES]

    def _affixes(self) -> dict[str, list[str]]:
        with self._lock:
            if self._affix_index is None:
                index: dict[str, list[str]] = defaultdict(list)
                for word in self.word_stem:
                    if len(word) < AFFIX_MIN + 3 or not word.isalpha():
                        continue
                    for cut in range(AFFIX_MIN, len(word) - 2):
                        index[stem(word[:cut])].append(word)
                        index[stem(word[-cut:])].append(word)
                self._affix_index = dict(index)
            return self._affix_index

    def typo_candidates(self, word: str) -> list[tuple[str, int]]:
        """Known words within the allowed edit distance, nearest first."""
        limit = language.max_typos(word)
        if not limit:
            return []
        pool = set(self._trigram_candidates(word)) | set(self._deletion_candidates(word))
        found = []
        for candidate in pool:
            if candidate == word:
                continue
            distance = language.edit_distance(word, candidate, limit)
            if distance <= limit:
                found.append((candidate, distance))
        if not found:
            return []
        best = min(d for _, d in found)
        nearest = [(w, d) for w, d in found if d == best]
        # the most frequent first; among equals the alphabet decides, not the set's order
        nearest.sort(key=lambda wd: (-self.df.get(self.word_stem.get(wd[0], ""), 0), wd[0]))
        return nearest[:3]

    def _trigram_candidates(self, word: str) -> list[str]:
        if connection.vendor == "postgresql":
            # The planner prices a trigram comparison like any operator and prefers a
            # sequential scan of the small vocabulary, which is 30 times slower than the
            # GIN index; so the index is required for this one statement.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(
                    "SELECT word FROM catalogue_searchterm "
                    "WHERE word %% %s AND similarity(word, %s) >= %s",
                    [word, word, TRIGRAM_THRESHOLD],
                )
                found = [row[0] for row in cursor.fetchall()]
                cursor.execute("SET LOCAL enable_seqscan = on")
                return found
        index, sizes = self._trigrams()
        grams = language.trigrams(word)
        counts: dict[str, int] = defaultdict(int)
        for gram in grams:
            for candidate in index.get(gram, ()):
                counts[candidate] += 1
        out = []
        for candidate, shared in counts.items():
            if shared / (len(grams) + sizes[candidate] - shared) >= TRIGRAM_THRESHOLD:
                out.append(candidate)
        return out

    def _deletion_candidates(self, word: str) -> list[str]:
        # Short words share too few trigrams with their typos; a one-letter deletion
        # neighbourhood finds swapped and wrong letters there.
        if len(word) > 7:
            return []
        index = self._deletions()
        out: list[str] = []
        for variant in language.deletions(word):
            out.extend(index.get(variant, ()))
        return out

    def _trigrams(self) -> tuple[dict[str, list[str]], dict[str, int]]:
        with self._lock:
            if self._trigram_index is None:
                index: dict[str, list[str]] = defaultdict(list)
                sizes: dict[str, int] = {}
                for word in self.word_stem:
                    grams = language.trigrams(word)
                    sizes[word] = len(grams)
                    for gram in grams:
                        index[gram].append(word)
                self._trigram_index = (dict(index), sizes)
            return self._trigram_index

    def _deletions(self) -> dict[str, list[str]]:
        with self._lock:
            if self._deletion_index is None:
                index: dict[str, list[str]] = defaultdict(list)
                for word in self.word_stem:
                    if 4 <= len(word) <= 8 and word.isalpha():
                        for variant in language.deletions(word):
                            index[variant].append(word)
                self._deletion_index = dict(index)
            return self._deletion_index

    # -- analysis --------------------------------------------------------------------

    def analyse_query(self, text: str) -> list[Concept]:
        tokens = self._join_separable_verb(words(text)[: MAX_QUERY_WORDS * 2])
        table = thesaurus()
        foreign = foreign_lexicon()
        # In a query of another language, unknown words are not German typos.
        in_other_language = any(
            self._is_foreign(t) and self._foreign_phrase(tokens, n, foreign)
            for n, t in enumerate(tokens)
        )
        concepts: list[Concept] = []
        i = 0
        while i < len(tokens):
            # a word or phrase of another language that the lexicon knows
            if self._is_foreign(tokens[i]):
                size = self._foreign_phrase(tokens, i, foreign)
                if size:
                    phrase = tuple(language.foreign_form(t) for t in tokens[i : i + size])
                    concept = Concept(" ".join(tokens[i : i + size]), foreign=True)
                    self._add_meanings(concept, foreign[phrase], THESAURUS_WEIGHT)
                    concepts.append(concept)
                    i += size
                    continue
            # the longest thesaurus phrase starting here ("auf die welt", "id card")
            phrase_len = 0
            meanings: tuple[str, ...] = ()
            for size in range(min(PHRASE_MAX, len(tokens) - i), 1, -1):
                meanings = table.get(tuple(tokens[i : i + size])) or self._english_phrase(
                    tokens[i : i + size]
                )
                if meanings:
                    phrase_len = size
                    break
            if phrase_len:
                phrase = tuple(tokens[i : i + phrase_len])
                concept = Concept(" ".join(phrase))
                self._add_meanings(concept, meanings, THESAURUS_WEIGHT)
                # the phrase means its meanings; each of its words alone is weak evidence
                for token in phrase:
                    if token not in language.STOPWORDS and self.known(stem(token)):
                        concept.add(stem(token), PHRASE_WORD)
                concepts.append(concept)
                i += phrase_len
                continue
            token = tokens[i]
            i += 1
            if token in language.STOPWORDS:
                continue
            # two words people write apart that the catalogue writes as one compound
            if i < len(tokens) and tokens[i] not in language.STOPWORDS:
                joined = self._compound_of(token, tokens[i], by_stem=True)
                if joined:
                    token = joined
                    i += 1
            concepts.extend(self._word_concepts(token, table, typos=not in_other_language))
        self._join_meanings(concepts)
        return self._merge(concepts)[:MAX_QUERY_WORDS]

    @staticmethod
    def _merge(concepts: list[Concept]) -> list[Concept]:
        """One concept per thing the query asks for: concepts with the same alternatives
        are one, and so are two words of one stem, which keep the alternatives of both
        ("Mieter … Miete": a service holding "miet" answers one concept, not two, and the
        thesaurus's Wohngeld for "Miete" does not count "miet" once more)."""
        merged: dict[tuple[str, ...], Concept] = {}
        by_stem: dict[str, Concept] = {}
        for concept in concepts:
            if not concept.alternatives:
                continue
            stems = [t for t, w in concept.alternatives.items() if w == EXACT]
            same = next((by_stem[t] for t in stems if t in by_stem), None)
            if same is not None:
                for term, weight in concept.alternatives.items():
                    same.add(term, weight)
                same.heads |= concept.heads
                same.text = f"{same.text} {concept.text}"  # both words are read
                continue
            key = tuple(sorted(concept.alternatives))
            if key not in merged:
                merged[key] = concept
                by_stem.update((t, concept) for t in stems)
        return list(merged.values())

    def _join_meanings(self, concepts: list[Concept]) -> None:
        """Two words whose meanings German writes as one compound mean that compound:
        "свидетельство о браке" is Urkunde + Ehe, the catalogue says Eheurkunde. The
        compound becomes an alternative of both words, in either order of the parts."""
        with_meanings = [c for c in concepts if c.meanings]
        for n, first in enumerate(with_meanings):
            for second in with_meanings[n + 1 :]:
                for a in first.meanings:
                    for b in second.meanings:
                        for left, right in ((a, b), (b, a)):
                            joined = self._compound_of(left, right)
                            joined_stem = self.word_stem.get(joined, "")
                            if joined_stem and self.known(joined_stem):
                                first.add(joined_stem, THESAURUS_WEIGHT)
                                second.add(joined_stem, THESAURUS_WEIGHT)

    def _english_phrase(self, tokens: list[str]) -> tuple[str, ...]:
        """The meanings of an inflected English phrase or word of the thesaurus ("tearing
        down" → "tear down"), when the German vocabulary does not know its words as they
        are written: a German word is never read as an English one."""
        if not all(t.isascii() and t.isalpha() for t in tokens):
            return ()
        if all(t in self.word_stem or self.known(stem(t)) for t in tokens):
            return ()
        return english_thesaurus().get(tuple(language.english_stem(t) for t in tokens), ())

    def _is_foreign(self, token: str) -> bool:
        """A word the German vocabulary does not know (the lexicon of other languages
        may)."""
        if language.is_foreign_script(token):
            return True
        return token not in self.word_stem and not self.known(stem(token))

    @staticmethod
    def _foreign_phrase(
        tokens: list[str], start: int, foreign: dict[tuple[str, ...], tuple[str, ...]]
    ) -> int:
        """The length of the longest lexicon phrase starting at `start`, or 0."""
        for size in range(min(3, len(tokens) - start), 0, -1):
            phrase = tuple(language.foreign_form(t) for t in tokens[start : start + size])
            if phrase in foreign:
                return size
        return 0

    def _join_separable_verb(self, tokens: list[str]) -> list[str]:
        """German separable verbs put their particle last: "ich melde mein Auto ab" means
        abmelden. A final particle joins the nearest earlier word it forms a known word
        with; a spoken one also in its written form ("finde … raus": herausfinden)."""
        if len(tokens) < 2:
            return tokens
        particle = tokens[-1]
        if particle in SEPARABLE_PARTICLES:
            forms = [particle]
        elif particle in SHORT_PARTICLES:
            forms = [particle, SHORT_PARTICLES[particle]]
        else:
            return tokens
        for index in range(len(tokens) - 2, -1, -1):
            word = tokens[index]
            if word in language.STOPWORDS:
                continue
            for form in forms:
                joined = form + word
                if joined in self.word_stem or self.known(stem(joined)):
                    return [*tokens[:index], joined, *tokens[index + 1 : -1]]
        return tokens

    def _compound_of(self, first: str, second: str, *, by_stem: bool = False) -> str:
        """The known compound of two words written apart ("Personal Ausweis",
        "schwerbehindert Ausweis"), with a linking element where German needs one. With
        `by_stem`, also a compound of their stems, which German forms from a noun and a
        verb phrase ("Grundstück teilen": Grundstücksteilung, "Baum fällen": Baumfällung)."""
        if len(first) < 3 or len(second) < 3 or not (first + second).isalpha():
            return ""
        for link in ("", *language.LINKS):
            joined = first + link + second
            if joined in self.word_stem:
                return joined
        if not by_stem:
            return ""
        first_stem, second_stem = stem(first), stem(second)
        if len(second_stem) < MIN_STEM_JOIN:
            return ""
        for link in ("", *language.LINKS):
            word = self.stem_words.get(first_stem + link + second_stem)
            if word and self.known(self.word_stem[word]):
                return word
        return ""

    @cached_property
    def stem_words(self) -> dict[str, str]:
        """A word of the vocabulary for each stem (the shortest)."""
        table: dict[str, str] = {}
        for word, word_stem in self.word_stem.items():
            if word.isalpha() and (word_stem not in table or len(word) < len(table[word_stem])):
                table[word_stem] = word
        return table

    def _word_concepts(
        self, token: str, table: dict[tuple[str, ...], tuple[str, ...]], *, typos: bool = True
    ) -> list[Concept]:
        concept = Concept(token)
        token_stem = stem(token)
        meanings = table.get((token,)) or self._english_phrase([token])
        if self.known(token_stem):
            concept.add(token_stem, EXACT)
            # a compound also means its head, the last part: a Kraftfahrzeug is a Fahrzeug
            parts = language.split_compound(token, self.is_word)
            if parts and len(parts[-1]) >= language.MIN_PART:
                head = self.part_stem(parts[-1])
                if self.known(head) and head != token_stem:
                    concept.add(head, COMPOUND_HEAD)
                    concept.heads.add(head)
        if meanings:
            self._add_meanings(concept, meanings, THESAURUS_WEIGHT)
        if concept.alternatives:
            return [concept]
        if token.isdigit() or language.is_foreign_script(token) or not typos:
            return []
        # A near miss of a known word ("wohngelt") is a typo before it is a compound.
        candidates = self.typo_candidates(token)
        if language.is_common_word(token):
            # a word of everyday German or English is meant as written: it may stand for a
            # near word of the vocabulary only as another form of itself ("braucht" for
            # "brauch", "Taxen" for "Taxi"), not as a different word ("Hunde" for "Kunde",
            # "Gehweg" for "Gehege")
            candidates = [(w, d) for w, d in candidates if language.differ_in_ending(token, w)]
        if candidates and candidates[0][1] == 1:
            return [self._typo_concept(concept, candidates, table)]
        # a word the catalogue only holds inside its compounds
        for compound in self.compounds_with(token):
            concept.add(compound, AFFIX_WEIGHT)
        if concept.alternatives:
            return [concept]
        parts = language.split_compound(token, self.is_word)
        if parts:
            out = []
            for part in parts:
                part_concept = Concept(part)
                part_concept.add(self.part_stem(part), COMPOUND_PART)
                if (part,) in table:
                    self._add_meanings(part_concept, table[(part,)], COMPOUND_PART * 0.9)
                out.append(part_concept)
            return out
        concept = self._typo_concept(concept, candidates, table)
        # a compound whose first part the catalogue does not know still names its kind
        # by its last part, its head: a "Bettensteuer" is a Steuer
        head, modifier = self.known_head(token)
        if head:
            concept.add(head, COMPOUND_HEAD)
            if modifier not in language.STOPWORDS:
                concept.unknown_part = modifier
        else:
            modifiers, rest = self.known_modifier(token)
            for modifier in modifiers:
                concept.add(modifier, COMPOUND_MODIFIER)
            if modifiers:
                concept.unknown_part = rest
        return [concept]

    def known_head(self, word: str) -> tuple[str, str]:
        """The stem of the longest known word that ends a compound after a first part
        that is a word of its own ("bettensteuer" → "steu" after "betten"), and that first
        part; or two empty strings. A word ending in -en is a verb or participle with its
        particle ("umgefahren"), no compound; "organspende" is no "Ende" ("organsp")."""
        if len(word) < 2 * language.MIN_PART or not word.isalpha() or word.endswith("en"):
            return "", ""
        for start in range(language.MIN_PART - 1, len(word) - language.MIN_PART + 1):
            part = word[start:]
            if self.is_word(part) and self.is_part(word[:start], linked=True):
                head = self.part_stem(part)
                if self.known(head):
                    return head, word[:start]
        return "", ""

    def known_modifier(self, word: str) -> tuple[list[str], str]:
        """An unknown compound whose head the vocabulary does not know still names its
        domain by its first part: the stems of the known compounds that begin with the
        longest first part the vocabulary holds, followed by a word ("heizoeltank" →
        "heizolanlag": "heizoel" + "anlage"), and the rest ("tank"); or nothing."""
        if len(word) < 2 * language.MIN_PART or not word.isalpha() or word.endswith("en"):
            return [], ""
        affixes = self._affixes()
        for end in range(len(word) - language.MIN_PART + 1, MODIFIER_MIN - 1, -1):
            part, rest = word[:end], word[end:]
            if part in language.STOPWORDS or not self.is_part(rest, linking=True):
                continue
            # the known compounds that go on with a word of the vocabulary after the part
            found = [
                w
                for w in affixes.get(stem(part), ())
                if w.startswith(part)
                and any(
                    len(w) - end - len(link) >= language.MIN_PART
                    and self.is_word(w[end + len(link) :])
                    for link in ("", *language.LINKS)
                )
            ]
            if self.is_word(part):
                found.append(part)
            stems = language.unique(self.part_stem(w) for w in found)
            stems = [s for s in stems if self.known(s)]
            if stems:
                stems.sort(key=lambda s: self.df.get(s, 0))
                return stems[:AFFIX_ALTERNATIVES], rest
        return [], ""

    def is_part(self, text: str, *, linked: bool = False, linking: bool = False) -> bool:
        """Whether a piece of a compound ends in a word (`linked`: a first part, perhaps
        with the linking element German puts after it; "Stiefkind" for "Adoption", not
        "organsp" for "Ende") or is a word (`linking`: the rest after a first part,
        perhaps beginning with a linking element): of the vocabulary or common German."""
        forms = [text]
        for link in language.LINKS:
            if linked and text.endswith(link):
                forms.append(text[: -len(link)])
            if linking and text.startswith(link):
                forms.append(text[len(link) :])
        for form in forms:
            if self._is_piece(form):
                return True
            if linked and any(
                self._is_piece(form[start:])
                for start in range(1, len(form) - language.MIN_PART + 1)
            ):
                return True
        return False

    def _is_piece(self, text: str) -> bool:
        return len(text) >= 3 and (self.is_word(text) or language.is_german_word(text))

    def _typo_concept(
        self,
        concept: Concept,
        candidates: list[tuple[str, int]],
        table: dict[tuple[str, ...], tuple[str, ...]],
    ) -> Concept:
        if candidates:
            concept.correction = candidates[0][0]
        for candidate, distance in candidates:
            weight = TYPO[distance]
            candidate_stem = self.word_stem.get(candidate, stem(candidate))
            if self.known(candidate_stem):
                concept.add(candidate_stem, weight)
            if (candidate,) in table:
                self._add_meanings(concept, table[(candidate,)], weight * THESAURUS_WEIGHT)
        return concept

    def _add_meanings(self, concept: Concept, meanings: Iterable[str], weight: float) -> None:
        for meaning in meanings:
            concept.meanings.append(meaning)
            meaning_stem = stem(meaning)
            if self.known(meaning_stem):
                concept.add(meaning_stem, weight)
                continue
            parts = language.split_compound(meaning, self.is_word)
            if parts:
                # a meaning outside the vocabulary still counts through its longest part
                longest = max(parts, key=len)
                concept.add(self.part_stem(longest), weight * COMPOUND_PART)

    # -- scoring ---------------------------------------------------------------------

    def score(self, concepts: list[Concept], rows: Iterable[Row]) -> list[Hit]:
        if not concepts:
            return []
        terms = language.unique(t for c in concepts for t in c.alternatives)
        idf = {t: self.idf(t) for t in terms}
        padded = {t: f" {t} " for t in terms}
        lebenslage_bonus = self._lebenslage_matches(concepts)
        # how much each concept tells: the idf of its most telling alternative, as far
        # as that alternative stands for it (a rare synonym tells less than the word)
        weights = [max(w * idf[t] for t, w in c.alternatives.items()) for c in concepts]
        weight_sum = sum(weights) or 1.0
        weight_order = [(COLUMNS.index(name), FIELD_WEIGHTS[name]) for name in FIELDS]
        hits: list[Hit] = []
        for service_id, *columns in rows:
            info = self.services.get(service_id)
            if info is None:
                continue
            texts = [f" {c} " for c in columns]
            # the strongest field each query term occurs in (a substring test on the
            # space-padded token list: cheaper than splitting every row into sets)
            found: dict[str, float] = {}
            for term in terms:
                needle = padded[term]
                for column, weight in weight_order:
                    if needle in texts[column]:
                        found[term] = weight
                        break
            total = 0.0
            matched = 0
            evidence = 0.0
            for index, concept in enumerate(concepts):
                best, quality = lebenslage_bonus.get((index, service_id), (0.0, 0.0))
                for term, weight in concept.alternatives.items():
                    field_weight = found.get(term)
                    if field_weight is not None:
                        best = max(best, weight * field_weight * idf[term])
                        if term in concept.heads:
                            # a common head tells less of the compound than the compound
                            weight *= min(1.0, idf[term] / weights[index])
                        quality = max(quality, weight)
                if best > 0:
                    matched += 1
                    total += best
                    evidence += weights[index] * min(1.0, quality / EVIDENCE_QUALITY)
            if not matched:
                continue
            coverage = matched / len(concepts)
            # the share of the query's information the service answers: a rare word of
            # the query counts more than a common one
            value = total / len(concepts) * (evidence / weight_sum) ** EVIDENCE_POWER
            names = texts[0]
            if names.strip():
                in_names = sum(1 for t in terms if padded[t] in names)
                value *= 1 + 0.25 * in_names / (names.strip().count(" ") + 1)
            # Curation and editorial boosts lift only a service that answers the query
            # well: never one whose match is weak or partial.
            strong = evidence / weight_sum >= STRONG_MATCH
            if info.is_curated and strong:
                value *= CURATED_FACTOR
            elif info.is_outdated:
                value *= OUTDATED_FACTOR
            if strong or info.boost < 1:
                value *= info.boost
            hits.append(Hit(service_id, value, coverage, evidence / weight_sum))
        return self._rank(hits)

    def fuse(
        self,
        hits: list[Hit],
        query_vector: npt.NDArray[np.float32],
        *,
        unknown: int = 0,
        rare_share: float = 0.0,
        all_read: bool = False,
    ) -> list[Hit]:
        """The lexical ranking mixed with the semantic one (see the module's step 5).

        Closeness in meaning alone does not tell whether the catalogue answers the query at
        all (e5 finds something close to "qqqq zzzz" too): a query no service matches by a
        word gets no answer, and for the result page's floor a service found by meaning
        borrows the evidence of the best lexical answer, in the measure it is as close as
        the closest service. `rare_share` is the share of the query's words that are rare
        words the vocabulary does not know (`rare_word_share`): they raise the weak weight
        of the semantic side. `all_read`: the vocabulary reads every word of the German
        query (`all_words_read`), so a service no word found counts less."""
        if not hits or not len(self.vector_ids):
            # no word of the query is known: closeness alone is no answer
            return hits
        # einsum runs in this thread: the BLAS behind `@` spreads a product this small over
        # threads, which on busy cores took 12 ms instead of 0.3
        closeness = np.einsum("ij,j->i", self.vectors, query_vector)
        count = min(SEMANTIC_CANDIDATES, len(closeness))
        nearest = np.argpartition(-closeness, count - 1)[:count]
        nearest = nearest[np.argsort(-closeness[nearest])]
        top = float(closeness[nearest[0]])
        weight = SEMANTIC_WEIGHT_STRONG
        if not answered(hits, unknown):
            weight = min(SEMANTIC_WEIGHT_MAX, SEMANTIC_WEIGHT_WEAK + RARE_WORD_GAIN * rare_share)
        best = hits[0].score if hits and hits[0].score > 0 else 1.0
        credible = max((h.evidence for h in hits), default=0.0)
        lexical = {h.service_id: h for h in hits}
        candidates = list(lexical)
        candidates += [int(pk) for pk in self.vector_ids[nearest] if int(pk) not in lexical]
        domains = {d for h in hits[:DOMAIN_TOP] for d in self.domains(h.service_id)}
        neighbours = [int(pk) for pk in self.vector_ids[nearest[:DOMAIN_NEIGHBOURS]]]
        fused = []
        for pk in candidates:
            row = self.vector_row.get(pk)
            near = 0.0 if row is None else float(closeness[row])
            meaning = max(0.0, (near - top + SEMANTIC_SPAN) / SEMANTIC_SPAN)
            hit = lexical.get(pk)
            if hit is None and self.is_stranger(pk, domains, neighbours):
                meaning *= DOMAIN_STRANGER
            if hit is None and all_read:
                meaning *= MEANING_ALL_WORDS_READ
            words = hit.score / best if hit else 0.0
            value = (1 - weight) * words + weight * meaning
            if value > 0:
                coverage = hit.coverage if hit else 0.0
                evidence = max(hit.evidence if hit else 0.0, credible * meaning)
                fused.append(Hit(pk, value, coverage, evidence, meaning if hit else 0.0))
        fused.sort(
            key=lambda h: (-h.score, not self.services[h.service_id].is_curated, h.service_id)
        )
        return fused

    def is_stranger(self, service_id: int, domains: set[str], neighbours: list[int]) -> bool:
        """Whether a service found by meaning alone lies outside the domains the words found
        (`domains`) and has fewer than DOMAIN_SUPPORT `neighbours` of its own domains."""
        own = set(self.domains(service_id))
        if own & domains:
            return False
        support = sum(
            1 for pk in neighbours if pk != service_id and own.intersection(self.domains(pk))
        )
        return support < DOMAIN_SUPPORT

    def domains(self, service_id: int) -> tuple[str, ...]:
        """The service's Leistungsgruppe and the groups it shares with its sub-variants
        (OZG-Leistung, Leistungsobjekt)."""
        info = self.services[service_id]
        return (info.family, *info.groups) if info.family else info.groups

    def _lebenslage_matches(
        self, concepts: list[Concept]
    ) -> dict[tuple[int, int], tuple[float, float]]:
        """(concept, service) → the bonus of a life situation linked to the service that
        the concept names, and the weight of the alternative that named it."""
        bonus: dict[tuple[int, int], tuple[float, float]] = {}
        for index, concept in enumerate(concepts):
            for terms, service_ids in self.lebenslagen:
                matched = [
                    (w * self.idf(t), w) for t, w in concept.alternatives.items() if t in terms
                ]
                if not matched:
                    continue
                weight, quality = max(matched)
                for position, service_id in enumerate(service_ids):
                    value = weight * LEBENSLAGE_WEIGHT * max(0.5, 1.0 - 0.1 * position)
                    key = (index, service_id)
                    if value > bonus.get(key, (0.0, 0.0))[0]:
                        bonus[key] = (value, quality)
        return bonus

    def _rank(self, hits: list[Hit]) -> list[Hit]:
        """Best first. No LeiKa sub-variant rises above a curated service of its
        Leistungsobjekt that covers at least half the query; nor above one of its
        OZG-Leistung (likewise) or of its Leistungsgruppe (the first five digits, covering
        all of the query) when the curated service is a comparable answer."""
        best_in_group: dict[str, float] = {}
        best_in_family: dict[str, float] = {}
        for hit in hits:
            info = self.services[hit.service_id]
            if not info.is_curated:
                continue
            if hit.coverage >= 0.5:
                for group in info.groups:
                    best_in_group[group] = max(best_in_group.get(group, 0.0), hit.score)
            if hit.coverage >= 1.0 and info.family:
                best_in_family[info.family] = max(best_in_family.get(info.family, 0.0), hit.score)
        ranked = []
        for hit in hits:
            info = self.services[hit.service_id]
            score = hit.score
            if not info.is_curated:
                # the same Leistungsobjekt always; the same OZG-Leistung if comparable
                caps = [
                    best_in_group[g]
                    for g in info.groups
                    if g in best_in_group
                    and (g.startswith("lo:") or best_in_group[g] >= GROUP_CAP_RATIO * score)
                ]
                family = best_in_family.get(info.family, 0.0)
                if family and family >= FAMILY_CAP_RATIO * score:
                    caps.append(family)
                if caps:
                    score = min(score, max(caps) * VARIANT_GAP)
            ranked.append(Hit(hit.service_id, score, hit.coverage, hit.evidence))
        ranked.sort(
            key=lambda h: (-h.score, not self.services[h.service_id].is_curated, h.service_id)
        )
        return ranked


def selective_terms(engine: Engine, concepts: list[Concept]) -> tuple[list[str], list[str]]:
    """The terms that select candidates, and all terms of the query. Selective are the
    rarest terms, as long as together they hold no more services than the candidate limit,
    so that every service holding one of them is scored."""
    every = language.unique(t for c in concepts for t in c.alternatives)
    rare: list[str] = []
    total = 0
    for term in sorted(every, key=lambda t: engine.df.get(t, 0)):
        df = engine.df.get(term, 0)
        if df > SELECTIVE_DF or total + df > CANDIDATES:
            break
        rare.append(term)
        total += df
    return rare, every


def fold_query(text: str) -> str:
    return " ".join(fold(text).split())


# -- the database side ---------------------------------------------------------------

_engine: Engine | None = None
_engine_lock = threading.Lock()


def current_engine() -> Engine:
    """The engine of the current index version (one cheap read per search)."""
    global _engine
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM catalogue_searchindexstate WHERE id = 1")
        row = cursor.fetchone()
    version = row[0] if row else 0
    engine = _engine
    if engine is not None and engine.version == version:
        return engine
    with _engine_lock:
        if _engine is None or _engine.version != version:
            _engine = load_engine(version)
        return _engine


def load_engine(version: int) -> Engine:
    from verbund.catalogue.models import LebenslageService, SearchEntry, SearchTerm, Service

    services = {
        pk: ServiceInfo(
            is_curated=curated,
            is_outdated=outdated,
            boost=boost,
            groups=service_groups(ozg_id, key),
            family=f"lg:{key[:5]}" if key else "",
        )
        for pk, curated, outdated, boost, ozg_id, key in Service.objects.values_list(
            "pk", "is_curated", "is_outdated", "search_boost", "ozg_leistung_id", "leika_key"
        )
    }
    links: dict[int, list[int]] = defaultdict(list)
    texts: dict[int, list[str]] = defaultdict(list)
    for lebenslage_id, service_id, name, title, terms in LebenslageService.objects.order_by(
        "lebenslage_id", "position", "service__name"
    ).values_list(
        "lebenslage_id", "service_id", "lebenslage__name", "lebenslage__title", "lebenslage__terms"
    ):
        links[lebenslage_id].append(service_id)
        texts[lebenslage_id] = [name, title, terms]
    lebenslagen = [
        ({stem(w) for text in texts[pk] for w in language.content_words(text)}, service_ids)
        for pk, service_ids in links.items()
    ]
    # The few curated services are always candidates when they hold any term of a
    # query, even a common one; their terms are kept here rather than asked for each time.
    curated_terms = {
        pk: frozenset(" ".join(columns).split())
        for pk, *columns in SearchEntry.objects.filter(service__is_curated=True).values_list(
            "service_id", *COLUMNS
        )
    }
    vocabulary = SearchTerm.objects.values_list("word", "stem", "df")
    embedded = list(
        SearchEntry.objects.exclude(embedded_digest="")
        .order_by("service_id")
        .values_list("service_id", "embedding")
    )
    vectors = ([pk for pk, _ in embedded], semantic.matrix([bytes(b) for _, b in embedded]))
    return Engine(
        version=version,
        vocabulary=list(vocabulary),
        services=services,
        lebenslagen=lebenslagen,
        curated_terms=curated_terms,
        vectors=vectors,
    )


def service_groups(ozg_leistung_id: int | None, leika_key: str) -> tuple[str, ...]:
    """The groups a service shares with its sub-variants: its OZG-Leistung and its
    Leistungsobjekt (the first 8 digits of the key)."""
    groups = []
    if ozg_leistung_id:
        groups.append(f"ozg:{ozg_leistung_id}")
    if leika_key:
        groups.append(f"lo:{leika_key[:8]}")
    return tuple(groups)


def candidate_rows(engine: Engine, concepts: list[Concept]) -> list[Row]:
    """The index rows of every service that may answer the query: those holding a
    selective term (all of them), else the best by the database's own rank; plus curated
    services and the services of matching life situations."""
    rare, every = selective_terms(engine, concepts)
    if not every:
        return []
    if connection.vendor == "postgresql":
        rows = _postgres_rows(rare, ranked=False) if rare else _postgres_rows(every, ranked=True)
    else:
        rows = _sqlite_rows(rare, ranked=False) if rare else _sqlite_rows(every, ranked=True)
    seen = {row[0] for row in rows}
    wanted = set(every)
    extra = [pk for pk, terms in engine.curated_terms.items() if terms & wanted]
    for terms, service_ids in engine.lebenslagen:
        if terms & wanted:
            extra += service_ids
    missing = [pk for pk in language.unique_ints(extra) if pk not in seen]
    if missing:
        rows += _rows_by_id(missing)
    return rows


def _sqlite_rows(terms: list[str], *, ranked: bool) -> list[Row]:
    # Terms are analysed tokens ([a-z0-9]+), so quoting them is enough.
    match = " OR ".join(f'"{t}"' for t in terms)
    sql = (
        "SELECT rowid, names, name_parts, terms, term_parts, body FROM catalogue_search_fts "
        "WHERE catalogue_search_fts MATCH %s"
    )
    if ranked:
        sql += " ORDER BY bm25(catalogue_search_fts, 10.0, 6.0, 8.0, 5.0, 2.0)"
    sql += " LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, CANDIDATES])
        return list(cursor.fetchall())


def _postgres_rows(terms: list[str], *, ranked: bool) -> list[Row]:
    query = " | ".join(terms)
    sql = (
        "SELECT service_id, names, name_parts, terms, term_parts, body "
        "FROM catalogue_searchentry WHERE document @@ to_tsquery('simple', %s)"
    )
    params: list[str | int] = [query]
    if ranked:
        sql += " ORDER BY ts_rank(document, to_tsquery('simple', %s)) DESC"
        params.append(query)
    sql += " LIMIT %s"
    params.append(CANDIDATES)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _rows_by_id(ids: list[int]) -> list[Row]:
    from verbund.catalogue.models import SearchEntry

    return list(SearchEntry.objects.filter(service_id__in=ids).values_list("service_id", *COLUMNS))


def search(text: str, *, limit: int = 10) -> list[Hit]:
    """The services that best answer `text`, best first."""
    text = text.strip()
    if not text:
        return []
    key = "".join(text.split())
    if key.isdigit() and len(key) == 14:
        from verbund.catalogue.models import Service

        pk = Service.objects.filter(leika_key=key).values_list("pk", flat=True).first()
        return [Hit(pk, 1.0)] if pk else []
    engine = current_engine()
    concepts = engine.analyse_query(text)
    hits = engine.score(concepts, candidate_rows(engine, concepts)) if concepts else []
    unknown = unknown_words(text, concepts)
    if not hits or answered(hits, unknown):
        # No word known, or the lexical best answers the query: the query is not embedded
        # (the semantic side changed no first result of the dev sets there, and the
        # model's forward pass is most of a search's time).
        return hits[:limit]
    # the model runs on the cores idle at that moment (`semantic.idle_cores`)
    vector = semantic.embed_query(text)
    fused = engine.fuse(
        hits,
        vector,
        unknown=unknown,
        rare_share=rare_word_share(text, concepts),
        all_read=all_words_read(text, concepts, unknown),
    )
    return fused[:limit]


def answered(hits: list[Hit], unknown: int) -> bool:
    """Whether the lexical best answers the query well: it holds the share `STRONG_MATCH`
    of the query's evidence, lowered by the words the vocabulary does not know."""
    share = UNKNOWN_WORD_SHARE / (UNKNOWN_WORD_SHARE + unknown)
    return bool(hits) and hits[0].evidence * share >= STRONG_MATCH


def unknown_words(text: str, concepts: list[Concept]) -> int:
    """How many German-looking words of the query no concept stands for."""
    return len(_unknown(text, concepts))


def _unknown(text: str, concepts: list[Concept]) -> list[str]:
    # a concept's text may join two words into the compound they form
    # and a compound known only by its head still says something the vocabulary does not
    # know ("Büchereiausweis": an Ausweis, but of what?)
    covered = " ".join(concept.text for concept in concepts if not concept.unknown_part)
    return [
        word
        for word in language.content_words(text)
        if word not in covered and word.isascii() and len(word) >= UNKNOWN_WORD_MIN
    ]


def rare_word_share(text: str, concepts: list[Concept]) -> float:
    """The share of the query's words that the vocabulary does not know and that are no
    common German or English word (`language.is_common_word`): the rare words that name
    the query's subject ("Straßenlaterne", "sozialpsychiatrischer"), unlike the everyday
    words of a question ("sieht", "fast"). None in a query read as another language."""
    if any(concept.foreign for concept in concepts):
        return 0.0
    rare = [w for w in _unknown(text, concepts) if not language.is_common_word(w)]
    return len(rare) / max(len(words(text)), 1)


def all_words_read(text: str, concepts: list[Concept], unknown: int) -> bool:
    """Whether the query is German and the vocabulary reads every word of it (`unknown`
    words: none), so that the words would have found a service that answers it. Not for a
    query in another script or read through the lexicon of other languages, whose words
    `unknown_words` does not count."""
    if unknown or any(concept.foreign for concept in concepts):
        return False
    return not any(language.is_foreign_script(word) for word in words(text))


def above_floor(hits: list[Hit]) -> list[Hit]:
    """The hits that answer the query: the others are left off the result page."""
    if not hits:
        return []
    best = hits[0].score
    return [
        h
        for h in hits
        if h.score >= (FLOOR_RATIO_MEANING if h.by_meaning_alone else FLOOR_RATIO) * best
        and (h.evidence >= FLOOR_EVIDENCE or h.agreement >= FLOOR_AGREEMENT)
    ]


def suggestion(text: str) -> str:
    """The query with its typos corrected ("Meinten Sie …?"), or "" when nothing was
    corrected."""
    engine = current_engine()
    # A common word is meant as written, though the catalogue may not use it: its
    # neighbour still counts as weak evidence ("taxi" for "Taxen") but is not offered
    # as what the citizen meant ("kunde" as "hunde").
    corrections = {
        c.text: c.correction
        for c in engine.analyse_query(text)
        if c.correction and c.correction != c.text and not language.is_common_word(c.text)
    }
    if not corrections:
        return ""
    out = []
    for word in text.split():
        folded = words(word)
        if len(folded) != 1 or folded[0] not in corrections:
            out.append(word)
            continue
        fixed = corrections[folded[0]]
        # a noun stays capitalised
        out.append(fixed[:1].upper() + fixed[1:] if word[:1].isupper() else fixed)
    corrected = " ".join(out)
    return corrected if corrected != " ".join(text.split()) else ""
