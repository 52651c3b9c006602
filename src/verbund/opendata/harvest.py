"""Harvesting: import the datasets of a DCAT RDF document (a file or an http(s) URL) into
an authority's catalogue, keeping the source's identifiers.

A harvest creates what is new, updates what changed (by a SHA-256 of the record as read),
leaves what is unchanged untouched and removes what the source no longer lists; a record
that cannot be read is reported in the run's error list, the others are imported anyway.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import re
import socket
import xml.sax
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from verbund.authorities.types import Authority
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import InvalidSourceFile
from verbund.opendata import rules
from verbund.opendata.dcat import SPDX, VCARD
from verbund.opendata.models import Dataset, DatasetStatus, Distribution, HarvestRun, HarvestSource

SCHEMA = "http://schema.org/"
# Older DCAT-AP.de documents (1.x) and some portals use these variants of the namespaces
DCATDE_VARIANTS = (
    rules.DCATDE,
    "https://www.dcat-ap.de/def/dcatde/1.1/",
    "http://dcat-ap.de/def/dcatde/1_0/",
)
LICENCE_PREFIXES = (
    "http://dcat-ap.de/def/licenses/",
    "https://www.dcat-ap.de/def/licenses/",
    "https://dcat-ap.de/def/licenses/",
    "http://www.dcat-ap.de/def/licenses/",
)
FORMAT_NAMES = {
    "rdf": "xml",
    "xml": "xml",
    "ttl": "turtle",
    "jsonld": "json-ld",
    "json": "json-ld",
    "nt": "nt",
    "n3": "n3",
}
CKAN_PATH = re.compile(r"/api/(?:3/)?action(?:/.*)?$")
FORMAT_LABELS = {"xml": "RDF/XML", "turtle": "Turtle", "json-ld": "JSON-LD", "nt": "N-Triples"}
MAX_REDIRECTS = 5
USER_AGENT = "Verbund-Harvester/1.0"


@dataclass
class Record:
    """One dataset as read from the source, ready to compare and to store."""

    uri: str
    values: dict[str, Any]
    distributions: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        data = json.dumps([self.values, self.distributions], sort_keys=True, default=str)
        return hashlib.sha256(data.encode()).hexdigest()


def read_source(url: str) -> bytes:
    """The document's bytes from a local file or over http(s)."""
    if url.startswith(("http://", "https://")):
        status, body = fetch(
            url, accept="application/rdf+xml, text/turtle;q=0.9, application/ld+json;q=0.8"
        )
        if status >= 400:
            raise InvalidSourceFile(f"Die Quelle {url} antwortet mit dem Status {status}.")
        return body
    path = Path(url.removeprefix("file://"))
    if not path.is_file():
        raise InvalidSourceFile(f"Die Datei {path} gibt es nicht.")
    return path.read_bytes()


def fetch(url: str, *, accept: str, params: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of a GET, within the configured timeout and size, following at most
    a few redirects, each to a host outside the internal network (unless allowed). The
    connection goes to the address that was checked, so a second DNS answer in between
    (DNS rebinding) cannot lead it into the internal network."""
    limit = settings.VERBUND_HARVEST_MAX_BYTES
    for _hop in range(MAX_REDIRECTS + 1):
        address = checked_address(url)
        try:
            with (
                pinned_session(address) as session,
                session.get(
                    url,
                    params=params,
                    timeout=settings.VERBUND_HARVEST_TIMEOUT,
                    headers={"Accept": accept, "User-Agent": USER_AGENT},
                    allow_redirects=False,
                    stream=True,
                ) as response,
            ):
                if response.is_redirect and "location" in response.headers:
                    url, params = urljoin(response.url, response.headers["location"]), None
                    continue
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise InvalidSourceFile(
                            f"Die Antwort von {url} ist größer als {limit} Bytes "
                            "(VERBUND_HARVEST_MAX_BYTES)."
                        )
                return response.status_code, bytes(body)
        except requests.RequestException as exc:
            raise InvalidSourceFile(f"Die Quelle {url} ist nicht erreichbar: {exc}") from None
    raise InvalidSourceFile(f"Die Quelle {url} leitet zu oft weiter.")


def checked_address(url: str) -> str:
    """The address the host of `url` resolves to, once; refused when it (or any other
    address of the host) is loopback, private, link-local or reserved, unless allowed:
    a harvest source must not reach into the operator's own network."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise InvalidSourceFile(f"Den Rechner „{host}“ der Quelle gibt es nicht.") from None
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    if not settings.VERBUND_HARVEST_PRIVATE_ADDRESSES:
        for address in map(ipaddress.ip_address, addresses):
            if not address.is_global or address.is_multicast:
                raise InvalidSourceFile(
                    f"Die Quelle {url} liegt im internen Netz ({address}); das erlaubt "
                    "VERBUND_HARVEST_PRIVATE_ADDRESSES."
                )
    return addresses[0]


def pinned_session(address: str) -> requests.Session:
    """A session whose direct connections go to `address` whatever the host resolves to
    now; the URL's host stays in the Host header, the TLS server name and the certificate
    check. (Through a proxy configured in the environment, the proxy resolves.)"""

    def pin(cls: type[HTTPConnection]) -> Any:
        class Pinned(cls):  # type: ignore[valid-type,misc]
            def _new_conn(self) -> socket.socket:
                host = self.__dict__["_dns_host"]
                self.__dict__["_dns_host"] = address
                try:
                    return super()._new_conn()
                finally:
                    self.__dict__["_dns_host"] = host

        return Pinned

    class PinnedHTTPPool(HTTPConnectionPool):
        ConnectionCls = pin(HTTPConnection)

    class PinnedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = pin(HTTPSConnection)

    class PinnedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": PinnedHTTPPool,
                "https": PinnedHTTPSPool,
            }

    session = requests.Session()
    session.mount("http://", PinnedAdapter())
    session.mount("https://", PinnedAdapter())
    return session


def guess_format(url: str, data: bytes) -> str:
    suffix = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
    if suffix in FORMAT_NAMES:
        return FORMAT_NAMES[suffix]
    head = data.lstrip()[:200]
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json-ld"
    return "turtle"


def parse_document(data: bytes, *, fmt: str) -> Graph:
    """The RDF graph, or InvalidSourceFile naming the line where the document is broken."""
    graph = Graph()
    try:
        graph.parse(data=data, format=fmt)
    except xml.sax.SAXParseException as exc:
        raise InvalidSourceFile(
            f"Kein gültiges RDF/XML: {exc.getMessage()}", line=exc.getLineNumber()
        ) from None
    except BadSyntax as exc:
        raise InvalidSourceFile(
            f"Kein gültiges Turtle: {exc.message}", line=exc.lines + 1
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidSourceFile(f"Kein gültiges JSON-LD: {exc.msg}", line=exc.lineno) from None
    except Exception as exc:  # rdflib's parsers raise many kinds of errors
        message = str(exc)
        line = _line_of(message)
        message = re.sub(r"^\S*:\d+:\d+: ", "", message)
        raise InvalidSourceFile(
            f"Kein gültiges {FORMAT_LABELS.get(fmt, fmt)}: {message}", line=line
        ) from None
    if not any(graph.subjects(RDF.type, DCAT.Dataset)):
        raise InvalidSourceFile("Das Dokument enthält keinen dcat:Dataset.")
    return graph


def _line_of(message: str) -> int | None:
    match = re.search(r"line (\d+)", message) or re.match(r"^\S*:(\d+):\d+: ", message)
    return int(match[1]) if match else None


# --- reading one record -------------------------------------------------------------


def _text(graph: Graph, node: Node, predicate: URIRef) -> str:
    """The German (or language-less, or any) literal of the property."""
    values = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
    for wanted in ("de", None):
        for value in values:
            if value.language == wanted:
                return str(value).strip()
    return str(values[0]).strip() if values else ""


def _uri_or_text(graph: Graph, node: Node, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    return str(value).strip() if value is not None else ""


def parse_date(value: str, warnings: list[str], what: str) -> datetime.date | None:
    parsed = parse_datetime(value, warnings, what)
    return parsed.date() if parsed else None


def parse_datetime(value: str, warnings: list[str], what: str) -> datetime.datetime | None:
    if not value:
        return None
    text = value.strip().replace(" GMT ", "T").replace("Z", "+00:00")
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?", text)
    if match is None:
        warnings.append(f"{what}: „{value}“ ist kein Datum, ausgelassen.")
        return None
    try:
        parsed = datetime.datetime.fromisoformat(match[1] + ("T" + match[2] if match[2] else ""))
    except ValueError:
        warnings.append(f"{what}: „{value}“ ist kein Datum, ausgelassen.")
        return None
    return timezone.make_aware(parsed, datetime.UTC) if timezone.is_naive(parsed) else parsed


def _dcatde(graph: Graph, node: Node, local: str) -> str:
    for namespace in DCATDE_VARIANTS:
        value = graph.value(node, URIRef(namespace + local))
        if value is not None:
            return str(value)
    return ""


def licence_code(value: str) -> str:
    """The DCAT-AP.de licence code of a URI (any spelling of the namespace), another licence
    URI as it is, or "" for what is no URI (a licence named in words)."""
    for prefix in LICENCE_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :].rstrip("/")
    if value.startswith(("http://", "https://")) and len(value) <= 40 and " " not in value:
        return value
    return ""


def geocoding(value: str) -> str:
    """The geocoding URI in the namespace the shapes expect (some portals write https://www.)."""
    return re.sub(r"^https?://(www\.)?dcat-ap\.de/", "http://dcat-ap.de/", value)[:200]


def read_record(graph: Graph, node: Node) -> Record:
    """One dcat:Dataset; raises ValueError with a German message when it cannot be used."""
    warnings: list[str] = []
    title = _text(graph, node, DCTERMS.title)
    if not title:
        raise ValueError("Der Datensatz hat keinen Titel (dct:title).")
    description = _text(graph, node, DCTERMS.description)
    if not description:
        warnings.append("Keine Beschreibung (dct:description); der Titel steht an ihrer Stelle.")
        description = title
    themes = sorted(
        {
            code
            for theme in graph.objects(node, DCAT.theme)
            if (code := rules.code_from_uri(str(theme), rules.THEME_SCHEME)) in rules.THEMES
        }
    )
    keywords = sorted(
        {str(k).strip()[:100] for k in graph.objects(node, DCAT.keyword) if str(k).strip()}
    )
    contact_name = contact_email = ""
    contact = graph.value(node, DCAT.contactPoint)
    if contact is not None:
        contact_name = _text(graph, contact, VCARD.fn)
        email = _uri_or_text(graph, contact, VCARD.hasEmail)
        contact_email = email.removeprefix("mailto:") if "@" in email else ""
    temporal = graph.value(node, DCTERMS.temporal)
    start = end = None
    if temporal is not None:
        start = parse_date(
            _uri_or_text(graph, temporal, DCAT.startDate)
            or _uri_or_text(graph, temporal, URIRef(SCHEMA + "startDate")),
            warnings,
            "Zeitraum von",
        )
        end = parse_date(
            _uri_or_text(graph, temporal, DCAT.endDate)
            or _uri_or_text(graph, temporal, URIRef(SCHEMA + "endDate")),
            warnings,
            "Zeitraum bis",
        )
    frequency = rules.code_from_uri(
        _uri_or_text(graph, node, DCTERMS.accrualPeriodicity), rules.FREQUENCY_SCHEME
    )
    landing = _uri_or_text(graph, node, DCAT.landingPage)
    distributions = []
    for position, dist in enumerate(sorted(graph.objects(node, DCAT.distribution), key=str)):
        distributions.append(_read_distribution(graph, dist, position, warnings))
    licences = [d["licence"] for d in distributions if d["licence"]]
    licence = licences[0] if licences else licence_code(_uri_or_text(graph, node, DCTERMS.license))
    if not licence:
        warnings.append("Keine Lizenz als URI (dct:license); ohne Lizenz übernommen.")
    for d in distributions:
        if d["licence"] == licence:
            d["licence"] = ""
    identifier = _uri_or_text(graph, node, DCTERMS.identifier) or str(node)
    values = {
        "title": title[:300],
        "description": description,
        "keywords": keywords,
        "themes": themes,
        "licence": licence,
        "contact_name": contact_name[:200],
        "contact_email": contact_email[:254],
        "landing_page": landing[:500] if landing.startswith(("http://", "https://")) else "",
        "geocoding_uri": geocoding(_dcatde(graph, node, "politicalGeocodingURI")),
        "geocoding_level_uri": geocoding(_dcatde(graph, node, "politicalGeocodingLevelURI")),
        "temporal_start": start,
        "temporal_end": end,
        "accrual_periodicity": frequency if frequency in rules.FREQUENCIES else "",
        "issued": parse_datetime(_uri_or_text(graph, node, DCTERMS.issued), warnings, "dct:issued"),
        "modified": parse_datetime(
            _uri_or_text(graph, node, DCTERMS.modified), warnings, "dct:modified"
        ),
        "identifier": identifier[:500],
    }
    return Record(uri=str(node), values=values, distributions=distributions, warnings=warnings)


def _read_distribution(
    graph: Graph, node: Node, position: int, warnings: list[str]
) -> dict[str, Any]:
    access = _uri_or_text(graph, node, DCAT.accessURL)
    download = _uri_or_text(graph, node, DCAT.downloadURL)
    if not access and not download:
        warnings.append(f"Distribution {node}: keine dcat:accessURL.")
    media_type = _uri_or_text(graph, node, DCAT.mediaType)
    media_type = re.sub(r"^https?://www\.iana\.org/assignments/media-types/", "", media_type)
    fmt = _uri_or_text(graph, node, DCTERMS.format)
    size_text = _uri_or_text(graph, node, DCAT.byteSize)
    try:
        size: int | None = int(float(size_text)) if size_text else None
    except ValueError:
        warnings.append(f"Distribution {node}: dcat:byteSize „{size_text}“ ist keine Zahl.")
        size = None
    checksum = ""
    for value in graph.objects(node, SPDX.checksum):
        if "sha256" in _uri_or_text(graph, value, SPDX.algorithm).lower():
            checksum = _uri_or_text(graph, value, SPDX.checksumValue).lower()[:64]
    return {
        "uri": str(node) if not isinstance(node, BNode) else "",
        "title": _text(graph, node, DCTERMS.title)[:300],
        "description": _text(graph, node, DCTERMS.description),
        "access_url": (access or download)[:1000],
        "download_url": download[:1000],
        "format": rules.format_code(fmt) if fmt else "",
        "media_type": media_type[:120],
        "byte_size": size,
        "checksum": checksum,
        "licence": licence_code(_uri_or_text(graph, node, DCTERMS.license)),
        "position": position,
    }


# --- the harvest --------------------------------------------------------------------


@dataclass
class Entry:
    """One record of a source as read: its key in the source (the dataset's URI, a CKAN
    package's id) and the Record, or why it could not be read."""

    key: str
    record: Record | None = None
    error: str = ""


@dataclass
class Outcome:
    run: HarvestRun
    datasets: int
    distributions: int


def harvest(*, source: HarvestSource, actor: Actor, data: bytes | None = None) -> Outcome:
    """Harvest the source: a CKAN API page by page, or a DCAT document (read unless `data`
    is given)."""
    if source.kind == HarvestSource.Kind.CKAN:
        from verbund.opendata.harvest_ckan import read_packages

        return _apply(source=source, entries=read_packages(source.url), actor=actor)
    if data is None:
        data = read_source(source.url)
    graph = parse_document(data, fmt=guess_format(source.url, data))
    return _apply(source=source, entries=read_entries(graph), actor=actor)


def read_entries(graph: Graph) -> list[Entry]:
    entries = []
    for node in sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str):
        try:
            entries.append(Entry(str(node), record=read_record(graph, node)))
        except ValueError as exc:
            entries.append(Entry(str(node), error=str(exc)))
    return entries


@transaction.atomic
def _apply(*, source: HarvestSource, entries: list[Entry], actor: Actor) -> Outcome:
    run = HarvestRun.objects.create(source=source)
    existing = {d.source_uri: d for d in Dataset.objects.filter(harvest_source=source)}
    seen: set[str] = set()
    errors: list[dict[str, str]] = []
    for entry in entries:
        record = entry.record
        if record is None:
            errors.append({"record": entry.key, "level": "error", "message": entry.error})
            if entry.key in existing:
                seen.add(entry.key)  # unreadable now, but not withdrawn: keep the last good state
            continue
        errors.extend(
            {"record": entry.key, "level": "warning", "message": w} for w in record.warnings
        )
        seen.add(record.uri)
        dataset = existing.get(record.uri)
        if dataset is not None and dataset.source_hash == record.digest:
            run.unchanged += 1
            continue
        _store(source=source, dataset=dataset, record=record)
        if dataset is None:
            run.created += 1
        else:
            run.updated += 1
    withdrawn = [d for uri, d in existing.items() if uri not in seen]
    for dataset in withdrawn:
        dataset.delete()
    run.deleted = len(withdrawn)
    run.errors = errors
    run.save()
    source.last_harvested_at = timezone.now()
    source.save(update_fields=["last_harvested_at", "updated_at"])
    record_audit(
        action="opendata.harvested",
        actor=actor,
        obj=source,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        deleted=run.deleted,
        errors=len([e for e in errors if e["level"] == "error"]),
    )
    datasets = Dataset.objects.filter(harvest_source=source)
    return Outcome(
        run=run,
        datasets=datasets.count(),
        distributions=Distribution.objects.filter(dataset__in=datasets).count(),
    )


def _store(*, source: HarvestSource, dataset: Dataset | None, record: Record) -> None:
    if dataset is None:
        digest = hashlib.sha256(record.uri.encode()).hexdigest()[:8]
        dataset = Dataset(
            authority=source.authority,
            harvest_source=source,
            source_uri=record.uri[:500],
            name=rules.slugify_name(record.values["title"][:60], suffix=digest),
            status=DatasetStatus.PUBLISHED,
        )
    for key, value in record.values.items():
        setattr(dataset, key, value)
    dataset.source_hash = record.digest
    dataset.index_formats(d.get("format", "") for d in record.distributions)
    dataset.save()
    dataset.distributions.all().delete()
    Distribution.objects.bulk_create(
        [
            Distribution(dataset=dataset, **{k: v for k, v in d.items() if k != "uri"})
            for d in record.distributions
        ]
    )


def source_for(
    *, url: str, authority: Authority, name: str = "", kind: str = "", title: str = ""
) -> HarvestSource:
    """The harvest source of that document or API, registered for the authority if new;
    an address with /api/3/action or /api/action is taken as a CKAN API."""
    found = HarvestSource.objects.filter(url=url).first()
    if found is not None:
        return found
    kind = kind or (HarvestSource.Kind.CKAN if CKAN_PATH.search(url) else HarvestSource.Kind.DCAT)
    path = urlsplit(url).path if url.startswith(("http://", "https://")) else url
    stem = Path(CKAN_PATH.sub("", path).rstrip("/")).stem
    if kind == HarvestSource.Kind.CKAN:
        stem = f"ckan-{stem or urlsplit(url).hostname or 'quelle'}"
    stem = stem or "quelle"
    name = name or rules.slugify_name(stem)[:70]
    if HarvestSource.objects.filter(name=name).exists():
        name = rules.slugify_name(name, suffix=hashlib.sha256(url.encode()).hexdigest()[:8])
    return HarvestSource.objects.create(
        authority=authority, name=name, title=title or stem, url=url, kind=kind
    )
