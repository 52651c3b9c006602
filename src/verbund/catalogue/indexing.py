"""Writes the search index: one `SearchEntry` per service, the vocabulary (`SearchTerm`)
and, on SQLite, the FTS5 mirror. Called by the actions inside their transaction.

Every text goes through `catalogue.language`; names, synonyms and everyday terms are also
split into their compound parts, so "Hundesteuer" is found by "Hund" and "Steuer".
Each entry also holds the service's sentence embedding (`catalogue.semantic`), recomputed
only when the text it was computed from changed.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.utils import timezone

from verbund.catalogue import language, semantic
from verbund.catalogue.language import stem, words
from verbund.catalogue.models import (
    LebenslageService,
    SearchEntry,
    SearchIndexState,
    SearchTerm,
    Service,
)
from verbund.catalogue.search import thesaurus

WORD_MAX = 100
# A word is split into parts only from this length on ("Reisepass" yes, "Pass" no).
SPLIT_FROM = 7
SERVICE_FIELDS = (
    "pk",
    "name",
    "name_2",
    "leika_name",
    "short_text",
    "full_text",
    "synonyms",
    "everyday_terms",
    "english_terms",
    "legal_basis",
    "ozg_leistung__name",
    "ozg_leistung__lebenslage__name",
    "ozg_leistung__lebenslage__themenfeld__name",
    "is_curated",
)
VERRICHTUNGEN = Path(__file__).resolve().parent / "verrichtungen.toml"
# The words of a legal reference that name nothing ("§ 7 Absatz 2 Satz 1 Nr. 3 ff."):
# the structure of a citation, not the law.
CITATION_WORDS = frozenset(
    {"absatz", "abs", "satz", "nr", "nummer", "ff", "art", "artikel", "anlage", "buch", "teil"}
)
# ... and the ordinal of a book of the Sozialgesetzbuch ("Elftes Buch").
ORDINALS = frozenset(
    {"erstes", "zweites", "drittes", "viertes", "fuenftes", "sechstes", "siebtes", "achtes"}
    | {"neuntes", "zehntes", "elftes", "zwoelftes"}
)
ROMAN = re.compile(r"[ivxlc]+")


@functools.cache
def verrichtungen() -> dict[str, str]:
    """Folded Verrichtung (the act a LeiKa name ends in) → its everyday words."""
    with VERRICHTUNGEN.open("rb") as fh:
        raw = tomllib.load(fh)["verrichtung"]
    return {language.fold(key): " ".join(words) for key, words in raw.items()}


def legal_words(legal_basis: str) -> str:
    """What a service's legal basis tells a citizen who names it: the laws' names and
    abbreviations ("Gewerbeordnung", "GewO", "BImSchG") and the paragraphs with a letter
    ("34a", "7b"), which people cite ("34a-Schein"). Links, the citation's structure
    words, bare numbers and roman book numbers are left out."""
    text = re.sub(r"\[[^\]]*\]", " ", legal_basis)
    kept = []
    for word in words(text):
        if word.isdigit() or ROMAN.fullmatch(word) or word in CITATION_WORDS | ORDINALS:
            continue
        if word[:1].isdigit() and not (word[:-1].isdigit() and word[-1].isalpha()):
            continue  # "absatz1"-like joins and numbers with units are no names
        if word.startswith("absatz"):
            continue
        kept.append(word)
    return " ".join(kept)


def everyday_words(name: str) -> str:
    """The everyday words of the Verrichtungen in a LeiKa name, also at the end of a
    compound ("Informationserteilung" is an Erteilung)."""
    table = verrichtungen()
    found = []
    for word in words(name):
        keys = [key for key in table if word.endswith(key)]
        if keys:
            found.append(table[max(keys, key=len)])
    return " ".join(found)


@dataclass
class Document:
    service_id: int
    names: list[str]
    name_parts: list[str]
    terms: list[str]
    term_parts: list[str]
    body: list[str]
    passage: str = ""
    embedding: bytes = b""

    def stems(self) -> set[str]:
        return {*self.names, *self.name_parts, *self.terms, *self.term_parts, *self.body}

    def entry(self) -> SearchEntry:
        return SearchEntry(
            service_id=self.service_id,
            names=" ".join(self.names),
            name_parts=" ".join(self.name_parts),
            terms=" ".join(self.terms),
            term_parts=" ".join(self.term_parts),
            body=" ".join(self.body),
            embedding=self.embedding,
            embedded_digest=semantic.digest(self.passage) if self.embedding else "",
        )


class Analyser:
    """Turns service texts into index terms, splitting compounds with a lexicon of the
    catalogue's own words."""

    def __init__(self, lexicon: set[str]) -> None:
        self.lexicon = lexicon | {stem(w) for w in lexicon if w.isalpha()}
        self._splits: dict[str, list[str]] = {}

    def stems(self, texts: Iterable[str]) -> list[str]:
        return language.unique(stem(w) for text in texts for w in language.content_words(text))

    def parts(self, texts: Iterable[str], exclude: list[str]) -> list[str]:
        known = set(exclude)
        out: list[str] = []
        for text in texts:
            for word in language.content_words(text):
                for part in self.split_all(word):
                    part_stem = stem(part)
                    if part_stem not in known:
                        known.add(part_stem)
                        out.append(part_stem)
        return out

    def split_all(self, word: str) -> list[str]:
        """The parts of a compound and, in turn, the parts of a part that is a compound
        itself: "Sonntagsfahrverbot" holds "Fahrverbot" and so "fahren" and "Verbot"."""
        out: list[str] = []
        for part in self.split(word):
            out.append(part)
            out.extend(self.split_all(part))
        return out

    def split(self, word: str) -> list[str]:
        if len(word) < SPLIT_FROM or not word.isalpha():
            return []
        if word not in self._splits:
            self._splits[word] = language.split_compound(word, self.is_word) or []
        return self._splits[word]

    def is_word(self, part: str) -> bool:
        return part in self.lexicon

    def document(self, values: dict[str, object], lebenslagen: list[str]) -> Document:
        def text(name: str) -> str:
            return str(values.get(name) or "")

        name_texts = [text("name"), text("name_2"), text("leika_name")]
        term_texts = [text("synonyms"), text("everyday_terms"), text("english_terms")]
        body_texts = [
            text("short_text"),
            text("full_text"),
            text("ozg_leistung__name"),
            text("ozg_leistung__lebenslage__name"),
            text("ozg_leistung__lebenslage__themenfeld__name"),
            legal_words(text("legal_basis")),
            *lebenslagen,
        ]
        if not values.get("is_curated"):
            # the long tail: the everyday words of the act its catalogue name names
            term_texts.append(everyday_words(text("leika_name") or text("name")))
        names = self.stems(name_texts)
        terms = [t for t in self.stems(term_texts) if t not in names]
        return Document(
            service_id=int(str(values["pk"])),
            names=names,
            name_parts=self.parts(name_texts, names),
            terms=terms,
            term_parts=self.parts(term_texts, names + terms),
            body=[t for t in self.stems(body_texts) if t not in names and t not in terms],
            passage=semantic.passage_text(values),
        )


def thesaurus_words() -> set[str]:
    out: set[str] = set()
    for phrase, meanings in thesaurus().items():
        out.update(phrase)
        out.update(meanings)
    return {w for w in out if w not in language.STOPWORDS}


def _service_values(service_ids: Iterable[int] | None = None) -> list[dict[str, object]]:
    queryset = Service.objects.all()
    if service_ids is not None:
        queryset = queryset.filter(pk__in=list(service_ids))
    return list(queryset.values(*SERVICE_FIELDS))


def _lebenslage_titles(service_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    links = LebenslageService.objects.all()
    if service_ids is not None:
        links = links.filter(service_id__in=list(service_ids))
    titles: dict[int, list[str]] = {}
    for service_id, name, title, terms in links.values_list(
        "service_id", "lebenslage__name", "lebenslage__title", "lebenslage__terms"
    ):
        titles.setdefault(service_id, []).extend([name, title, terms])
    return titles


def _surface_words(row: dict[str, object]) -> set[str]:
    """The words of a service's indexed texts, as the vocabulary takes them."""
    out: set[str] = set()
    for name in SERVICE_FIELDS[1:-1]:
        text = str(row.get(name) or "")
        out.update(words(legal_words(text) if name == "legal_basis" else text))
    return out


def rebuild_index() -> dict[str, int]:
    """Rebuild the whole index from the catalogue (inside the caller's transaction)."""
    values = _service_values()
    titles = _lebenslage_titles()
    surface: set[str] = set()
    for row in values:
        surface.update(_surface_words(row))
    for texts in titles.values():
        for text in texts:
            surface.update(words(text))
    for meaning in verrichtungen().values():
        surface.update(words(meaning))
    surface = {w for w in surface if len(w) >= 3 and w not in language.STOPWORDS}
    analyser = Analyser(surface | thesaurus_words())
    documents = [analyser.document(row, titles.get(int(str(row["pk"])), [])) for row in values]
    df: Counter[str] = Counter()
    for document in documents:
        df.update(document.stems())
    embed(documents, known_embeddings())

    SearchEntry.objects.all().delete()
    SearchEntry.objects.bulk_create([d.entry() for d in documents], batch_size=1000)
    vocabulary = {
        w: stem(w) for w in surface | thesaurus_words() if len(w) <= WORD_MAX and w.isascii()
    }
    SearchTerm.objects.all().delete()
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=w, stem=s, df=df.get(s, 0)) for w, s in sorted(vocabulary.items())],
        batch_size=2000,
    )
    _sync_fts(None)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # fresh statistics, so that the planner takes the GIN indexes
            cursor.execute("ANALYZE catalogue_searchentry, catalogue_searchterm")
    _bump_version(analysis=analysis_digest())
    return {"services": len(documents), "terms": len(vocabulary)}


def reindex_services(service_ids: Iterable[int]) -> None:
    """Update the entries of some services after an edit. New words join the vocabulary;
    document frequencies are refreshed by the next full rebuild."""
    ids = list(service_ids)
    if not ids:
        return
    lexicon = set(SearchTerm.objects.values_list("word", flat=True))
    values = _service_values(ids)
    titles = _lebenslage_titles(ids)
    new_words: set[str] = set()
    for row in values:
        new_words.update(_surface_words(row))
    new_words = {
        w
        for w in new_words
        if len(w) >= 3 and len(w) <= WORD_MAX and w not in lexicon and w not in language.STOPWORDS
    }
    analyser = Analyser(lexicon | new_words)
    documents = [analyser.document(row, titles.get(int(str(row["pk"])), [])) for row in values]
    embed(documents, known_embeddings(ids))
    SearchEntry.objects.filter(service_id__in=ids).delete()
    SearchEntry.objects.bulk_create([d.entry() for d in documents])
    if new_words:
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=w, stem=stem(w), df=1) for w in sorted(new_words) if w.isascii()],
            ignore_conflicts=True,
        )
    _sync_fts(ids)
    _bump_version()


def known_embeddings(service_ids: list[int] | None = None) -> dict[str, bytes]:
    """The embeddings the index holds, by the digest of their text."""
    entries = SearchEntry.objects.exclude(embedded_digest="")
    if service_ids is not None:
        entries = entries.filter(service_id__in=service_ids)
    return {d: bytes(blob) for d, blob in entries.values_list("embedded_digest", "embedding")}


def embed(documents: list[Document], known: dict[str, bytes]) -> None:
    """Give every document its embedding: the known one when its text is unchanged,
    else a new one."""
    missing: dict[str, list[Document]] = {}
    for document in documents:
        blob = known.get(semantic.digest(document.passage))
        if blob:
            document.embedding = blob
        else:
            missing.setdefault(document.passage, []).append(document)
    texts = list(missing)
    for text, blob in zip(texts, semantic.embed_passages(texts), strict=True):
        for document in missing[text]:
            document.embedding = blob


def _sync_fts(service_ids: list[int] | None) -> None:
    if connection.vendor != "sqlite":
        return  # PostgreSQL computes the tsvector column itself
    insert = (
        "INSERT INTO catalogue_search_fts(rowid, names, name_parts, terms, term_parts, body) "
        "SELECT service_id, names, name_parts, terms, term_parts, body FROM catalogue_searchentry"
    )
    with connection.cursor() as cursor:
        if service_ids is None:
            cursor.execute("DELETE FROM catalogue_search_fts")
            cursor.execute(insert)
            return
        params = [[pk] for pk in service_ids]
        cursor.executemany("DELETE FROM catalogue_search_fts WHERE rowid = %s", params)
        cursor.executemany(insert + " WHERE service_id = %s", params)


# What the stored index depends on besides the catalogue: the analyser's code (stemming,
# compound splitting, the thesaurus's reading) and the vocabulary files it reads.
ANALYSIS_SOURCES = (
    "language.py",
    "indexing.py",
    "search.py",
    "thesaurus.toml",
    "lexicon.toml",
    "verrichtungen.toml",
)


@functools.cache
def analysis_digest() -> str:
    """A name for this release's analyser: an index built under another one holds stems
    that queries no longer produce, so `migrate` rebuilds it (`actions.ensure_search_index`)."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ANALYSIS_SOURCES:
        path = here / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:32]


def index_is_current() -> bool:
    """Whether the index was built by this analyser (or there is nothing to index)."""
    if not Service.objects.exists():
        return True
    built = SearchIndexState.objects.filter(pk=1).values_list("analysis", flat=True).first()
    return built == analysis_digest()


def _bump_version(*, analysis: str | None = None) -> None:
    # A random token rather than a counter: after a rolled-back change a counter could
    # come back to a value a process already cached with other content.
    values: dict[str, object] = {"version": secrets.randbits(62), "built_at": timezone.now()}
    if analysis is not None:
        values["analysis"] = analysis
    if not SearchIndexState.objects.filter(pk=1).update(**values):
        SearchIndexState.objects.create(pk=1, **values)
