"""DCAT-AP.de RDF of the catalogue and its datasets, built with rdflib and streamed.

Each dataset becomes a small graph that rdflib serialises on its own; the stream joins
those pieces under one header, so memory stays flat however large the catalogue is. Every
piece binds the same prefixes (`NAMESPACES`), so the pieces share the header's prefixes.
Vocabulary concepts carry `skos:inScheme`, because the DCAT-AP.de shapes check the scheme
of a value in the data itself (the vocabularies are imports that validators may not load).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from verbund.opendata import rules
from verbund.opendata.models import Dataset, Distribution

DCATDE = Namespace(rules.DCATDE)
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
NAMESPACES = {
    "rdf": RDF,
    "dcat": DCAT,
    "dct": DCTERMS,
    "dcatde": DCATDE,
    "foaf": FOAF,
    "skos": SKOS,
    "vcard": VCARD,
    "spdx": SPDX,
    "hydra": HYDRA,
    "adms": ADMS,
    "xsd": XSD,
}
LANGUAGE_DE = URIRef(f"{rules.LANGUAGE_SCHEME}/DEU")
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
CHUNK = 50
IRI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


@dataclass(frozen=True)
class Format:
    rdflib_name: str
    content_type: str


FORMATS = {
    "ttl": Format("turtle", "text/turtle; charset=utf-8"),
    "rdf": Format("xml", "application/rdf+xml; charset=utf-8"),
    "jsonld": Format("json-ld", "application/ld+json; charset=utf-8"),
}


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.total / self.size))


PROFILES = ("3.0", "2.0")


class Urls:
    """The URIs the export gives to the platform's resources, below `base`, and the
    DCAT-AP.de version (`profile`) it writes: 3.0, or 2.0 for older harvesters, whose shapes
    demand an xsd:decimal byte size and know no SHA-256 checksum (DCAT-AP 2.1.1: SHA-1 only).
    """

    def __init__(self, base: str, profile: str = "3.0") -> None:
        self.base = base.rstrip("/")
        self.profile = profile

    def catalog(self) -> URIRef:
        return URIRef(f"{self.base}/daten/katalog")

    def page(self, number: int, ext: str) -> URIRef:
        return URIRef(f"{self.base}/daten/katalog.{ext}?page={number}")

    def home(self) -> URIRef:
        return URIRef(f"{self.base}/daten/")

    def dataset(self, dataset: Dataset) -> URIRef:
        return URIRef(self.dataset_uri(dataset.name, dataset.source_uri))

    def dataset_uri(self, name: str, source_uri: str) -> str:
        """A dataset's URI from its columns (the CKAN API builds its answers from rows)."""
        if source_uri.startswith(("http://", "https://")):
            return str(iri(source_uri))
        return f"{self.base}/daten/{name}"

    def dataset_page(self, dataset: Dataset) -> URIRef:
        return URIRef(self.dataset_page_uri(dataset.name))

    def dataset_page_uri(self, name: str) -> str:
        return f"{self.base}/daten/{name}/"

    def distribution(self, dataset: Dataset, distribution: Distribution) -> URIRef:
        return URIRef(f"{self.base}/daten/{dataset.name}/distribution/{distribution.pk}")

    def download(self, dataset: Dataset, distribution: Distribution) -> URIRef:
        return URIRef(self.download_uri(dataset.name, distribution.pk))

    def download_uri(self, name: str, distribution_key: object) -> str:
        return f"{self.base}/daten/{name}/dateien/{distribution_key}"

    def publisher(self, slug: str) -> URIRef:
        return URIRef(f"{self.base}/daten/organisation/{slug}")


def iri(value: str) -> URIRef:
    """An external address as an IRI that every serialiser accepts (spaces, quotes and other
    characters outside RFC 3987 percent-encoded)."""
    return URIRef(quote(value.strip(), safe=IRI_SAFE))


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in NAMESPACES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def _concept(graph: Graph, uri: str, scheme: str) -> URIRef:
    node = URIRef(uri)
    graph.add((node, RDF.type, SKOS.Concept))
    graph.add((node, SKOS.inScheme, URIRef(scheme)))
    return node


def add_dataset(graph: Graph, dataset: Dataset, urls: Urls) -> URIRef:
    """The dataset's triples with its distributions, publisher and contact point."""
    node = urls.dataset(dataset)
    add = graph.add
    add((node, RDF.type, DCAT.Dataset))
    add((node, DCTERMS.title, Literal(dataset.title, lang="de")))
    add((node, DCTERMS.description, Literal(dataset.description or dataset.title, lang="de")))
    add((node, DCTERMS.identifier, Literal(dataset.identifier or str(node))))
    add((node, DCAT.landingPage, iri(dataset.landing_page or urls.dataset_page(dataset))))
    for keyword in dataset.keywords:
        add((node, DCAT.keyword, Literal(keyword, lang="de")))
    for theme in dataset.themes:
        add((node, DCAT.theme, _concept(graph, rules.theme_uri(theme), rules.THEME_SCHEME)))
    publisher = urls.publisher(dataset.authority.slug)
    add((node, DCTERMS.publisher, publisher))
    add((publisher, RDF.type, FOAF.Agent))
    add((publisher, FOAF.name, Literal(dataset.authority.name)))
    contact = BNode()
    add((node, DCAT.contactPoint, contact))
    # vcard:Kind too: validators without the vCard ontology do not infer it
    add((contact, RDF.type, VCARD.Kind))
    add((contact, RDF.type, VCARD.Organization))
    add((contact, VCARD.fn, Literal(dataset.contact_name or dataset.authority.name)))
    email = dataset.contact_email or dataset.authority.email
    if email:
        add((contact, VCARD.hasEmail, iri(f"mailto:{email}")))
    add((node, DCTERMS.language, _concept(graph, str(LANGUAGE_DE), rules.LANGUAGE_SCHEME)))
    geocoding, level = _geocoding(dataset)
    if geocoding:
        location = _concept(graph, str(iri(geocoding)), geocoding.rsplit("/", 1)[0])
        add((node, DCATDE.politicalGeocodingURI, location))
        add((node, DCTERMS.spatial, location))
        add((location, RDF.type, DCTERMS.Location))
    contributor = settings.VERBUND_OPENDATA_CONTRIBUTOR_ID
    if contributor:
        add((node, DCATDE.contributorID, _concept(graph, contributor, rules.CONTRIBUTOR_SCHEME)))
    if level:
        level_node = _concept(graph, str(iri(level)), rules.LEVEL_SCHEME)
        add((node, DCATDE.politicalGeocodingLevelURI, level_node))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        add((node, DCTERMS.temporal, period))
        add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            add((period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date)))
        if dataset.temporal_end:
            add((period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date)))
    if dataset.accrual_periodicity:
        frequency = rules.frequency_uri(dataset.accrual_periodicity)
        add((node, DCTERMS.accrualPeriodicity, _concept(graph, frequency, rules.FREQUENCY_SCHEME)))
    if dataset.issued:
        add((node, DCTERMS.issued, Literal(dataset.issued, datatype=XSD.dateTime)))
    if dataset.modified:
        add((node, DCTERMS.modified, Literal(dataset.modified, datatype=XSD.dateTime)))
    for distribution in dataset.distributions.all():
        add((node, DCAT.distribution, add_distribution(graph, dataset, distribution, urls)))
    return node


def _geocoding(dataset: Dataset) -> tuple[str, str]:
    if dataset.gebiet is not None:
        gebiet = dataset.gebiet
        return rules.geocoding_uri(gebiet.ars, gebiet.level), rules.level_uri(gebiet.level)
    return dataset.geocoding_uri, dataset.geocoding_level_uri


def add_distribution(
    graph: Graph, dataset: Dataset, distribution: Distribution, urls: Urls
) -> URIRef:
    node = urls.distribution(dataset, distribution)
    add = graph.add
    add((node, RDF.type, DCAT.Distribution))
    if distribution.is_file:
        download = urls.download(dataset, distribution)
        add((node, DCAT.accessURL, download))
        add((node, DCAT.downloadURL, download))
    else:
        add((node, DCAT.accessURL, iri(distribution.access_url)))
        if distribution.download_url:
            add((node, DCAT.downloadURL, iri(distribution.download_url)))
    if distribution.title:
        add((node, DCTERMS.title, Literal(distribution.title, lang="de")))
    if distribution.description:
        add((node, DCTERMS.description, Literal(distribution.description, lang="de")))
    licence = distribution.effective_licence
    if licence:
        if licence.startswith(("http://", "https://")):  # harvested, outside the list
            licence_node = iri(licence)
        else:
            licence_node = _concept(graph, rules.licence_uri(licence), rules.LICENCE_SCHEME)
        add((licence_node, RDF.type, DCTERMS.LicenseDocument))
        add((node, DCTERMS.license, licence_node))
        if licence == "dl-by-de/2.0":
            attribution = f"{dataset.authority.name} ({rules.LICENCE_URLS[licence]})"
            add((node, DCATDE.licenseAttributionByText, Literal(attribution, lang="de")))
    if distribution.format:
        file_type = str(iri(rules.file_type_uri(distribution.format)))
        add((node, DCTERMS.format, _concept(graph, file_type, rules.FILE_TYPE_SCHEME)))
        add((URIRef(file_type), RDF.type, DCTERMS.MediaTypeOrExtent))
    if distribution.media_type:
        media_type = iri(MEDIA_TYPES + distribution.media_type)
        add((node, DCAT.mediaType, media_type))
        add((media_type, RDF.type, DCTERMS.MediaType))
    if distribution.byte_size is not None:
        size_type = XSD.decimal if urls.profile == "2.0" else XSD.nonNegativeInteger
        add((node, DCAT.byteSize, Literal(distribution.byte_size, datatype=size_type)))
    if distribution.checksum and urls.profile != "2.0":
        checksum = BNode()
        add((node, SPDX.checksum, checksum))
        add((checksum, RDF.type, SPDX.Checksum))
        add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        add((checksum, SPDX.checksumValue, Literal(distribution.checksum, datatype=XSD.hexBinary)))
    return node


def catalog_graph(
    urls: Urls,
    *,
    title: str,
    description: str,
    publisher_name: str,
    page: Page | None = None,
    ext: str = "ttl",
) -> Graph:
    """The dcat:Catalog node and, for a page, hydra paging; `stream` adds the datasets."""
    graph = new_graph()
    node = urls.catalog()
    add = graph.add
    add((node, RDF.type, DCAT.Catalog))
    add((node, DCTERMS.title, Literal(title, lang="de")))
    add((node, DCTERMS.description, Literal(description, lang="de")))
    publisher = URIRef(f"{urls.base}/")
    add((node, DCTERMS.publisher, publisher))
    add((publisher, RDF.type, FOAF.Agent))
    add((publisher, FOAF.name, Literal(publisher_name)))
    add((node, FOAF.homepage, urls.home()))
    add((node, DCTERMS.language, _concept(graph, str(LANGUAGE_DE), rules.LANGUAGE_SCHEME)))
    if page is not None:
        view = urls.page(page.number, ext)
        add((view, RDF.type, HYDRA.PagedCollection))
        add((view, HYDRA.totalItems, Literal(page.total, datatype=XSD.integer)))
        add((view, HYDRA.itemsPerPage, Literal(page.size, datatype=XSD.integer)))
        add((view, HYDRA.firstPage, Literal(str(urls.page(1, ext)))))
        add((view, HYDRA.lastPage, Literal(str(urls.page(page.last, ext)))))
        if page.number > 1:
            add((view, HYDRA.previousPage, Literal(str(urls.page(page.number - 1, ext)))))
        if page.number < page.last:
            add((view, HYDRA.nextPage, Literal(str(urls.page(page.number + 1, ext)))))
    return graph


def chunked(items: Iterable[Dataset], size: int = CHUNK) -> Iterator[list[Dataset]]:
    batch: list[Dataset] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def stream(head: Graph, datasets: Iterable[Dataset], urls: Urls, ext: str) -> Iterator[str]:
    """The serialisation of `head` plus every dataset's graph, piece by piece."""
    writer = _WRITERS[ext]
    yield writer.start()
    yield writer.piece(head, first=True)
    for batch in chunked(datasets):
        graph = new_graph()
        for dataset in batch:
            graph.add((urls.catalog(), DCAT.dataset, add_dataset(graph, dataset, urls)))
        yield writer.piece(graph, first=False)
    yield writer.end()


def serialise(graph: Graph, ext: str) -> str:
    """One graph in one document (the dataset export and the tests use this)."""
    return "".join(
        [_WRITERS[ext].start(), _WRITERS[ext].piece(graph, first=True), _WRITERS[ext].end()]
    )


class _TurtleWriter:
    def start(self) -> str:
        return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in NAMESPACES.items()) + "\n"

    def piece(self, graph: Graph, *, first: bool) -> str:
        text = graph.serialize(format="turtle")
        return "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))

    def end(self) -> str:
        return "\n"


_RDF_OPEN = re.compile(r"<rdf:RDF\b[^>]*>", re.S)


class _XmlWriter:
    def start(self) -> str:
        declarations = "".join(f'\n   xmlns:{p}="{ns}"' for p, ns in NAMESPACES.items())
        return f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{declarations}\n>\n'

    def piece(self, graph: Graph, *, first: bool) -> str:
        text = graph.serialize(format="xml")
        opening = _RDF_OPEN.search(text)
        if opening is None:
            return ""
        return text[opening.end() : text.rindex("</rdf:RDF>")].strip("\n") + "\n"

    def end(self) -> str:
        return "</rdf:RDF>\n"


class _JsonLdWriter:
    def __init__(self) -> None:
        self.any_written = False

    def start(self) -> str:
        context = {p: str(ns) for p, ns in NAMESPACES.items()}
        return '{"@context": ' + json.dumps(context) + ', "@graph": [\n'

    def piece(self, graph: Graph, *, first: bool) -> str:
        nodes = json.loads(graph.serialize(format="json-ld"))
        if not nodes:
            return ""
        text = ",\n".join(json.dumps(n, ensure_ascii=False) for n in nodes)
        return text if first else ",\n" + text

    def end(self) -> str:
        return "\n]}\n"


_WRITERS: dict[str, _TurtleWriter | _XmlWriter | _JsonLdWriter] = {
    "ttl": _TurtleWriter(),
    "rdf": _XmlWriter(),
    "jsonld": _JsonLdWriter(),
}
