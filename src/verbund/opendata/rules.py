"""The controlled vocabularies of DCAT-AP.de that Verbund offers, and pure rules on them.

Codes are stored; URIs are built only for the export. The lists are the standard's own
(DCAT-AP.de 3.0, §§ "Kontrollierte Vokabulare"); no database access here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DCATDE = "http://dcat-ap.de/def/dcatde/"
THEME_SCHEME = "http://publications.europa.eu/resource/authority/data-theme"
FREQUENCY_SCHEME = "http://publications.europa.eu/resource/authority/frequency"
FILE_TYPE_SCHEME = "http://publications.europa.eu/resource/authority/file-type"
LANGUAGE_SCHEME = "http://publications.europa.eu/resource/authority/language"
LICENCE_SCHEME = "http://dcat-ap.de/def/licenses"
CONTRIBUTOR_SCHEME = "http://dcat-ap.de/def/contributors"
LEVEL_SCHEME = "http://dcat-ap.de/def/politicalGeocoding/Level"
REGIONAL_KEY = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/"
STATE_KEY = "http://dcat-ap.de/def/politicalGeocoding/stateKey/"


@dataclass(frozen=True)
class Term:
    code: str
    de: str
    en: str


# EU Data Theme vocabulary (all 13 concepts)
THEMES = {
    t.code: t
    for t in [
        Term(
            "AGRI",
            "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel",
            "Agriculture, fisheries, forestry and food",
        ),
        Term("ECON", "Wirtschaft und Finanzen", "Economy and finance"),
        Term("EDUC", "Bildung, Kultur und Sport", "Education, culture and sport"),
        Term("ENER", "Energie", "Energy"),
        Term("ENVI", "Umwelt", "Environment"),
        Term("GOVE", "Regierung und öffentlicher Sektor", "Government and public sector"),
        Term("HEAL", "Gesundheit", "Health"),
        Term("INTR", "Internationale Themen", "International issues"),
        Term(
            "JUST",
            "Justiz, Rechtssystem und öffentliche Sicherheit",
            "Justice, legal system and public safety",
        ),
        Term("REGI", "Regionen und Städte", "Regions and cities"),
        Term("SOCI", "Bevölkerung und Gesellschaft", "Population and society"),
        Term("TECH", "Wissenschaft und Technologie", "Science and technology"),
        Term("TRAN", "Verkehr", "Transport"),
    ]
}

# DCAT-AP.de licence vocabulary (the entries municipal portals use); code = URI path
LICENCES = {
    t.code: t
    for t in [
        Term(
            "dl-by-de/2.0",
            "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "Data licence Germany – attribution – version 2.0",
        ),
        Term(
            "dl-zero-de/2.0",
            "Datenlizenz Deutschland – Zero – Version 2.0",
            "Data licence Germany – zero – version 2.0",
        ),
        Term(
            "cc-by/4.0",
            "Creative Commons Namensnennung 4.0 International",
            "Creative Commons Attribution 4.0 International",
        ),
        Term(
            "cc-by-sa/4.0",
            "Creative Commons Namensnennung – Weitergabe unter gleichen "
            "Bedingungen 4.0 International",
            "Creative Commons Attribution-ShareAlike 4.0",
        ),
        Term("cc-zero", "Creative Commons CC Zero License (cc-zero)", "Creative Commons CC0"),
        Term(
            "odbl",
            "Open Data Commons Open Database License (ODbL)",
            "Open Data Commons Open Database License (ODbL)",
        ),
        Term(
            "officialWork",
            "Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG",
            "Official work, licence-free under §5(1) UrhG",
        ),
    ]
}
LICENCE_URLS = {
    "dl-by-de/2.0": "https://www.govdata.de/dl-de/by-2-0",
    "dl-zero-de/2.0": "https://www.govdata.de/dl-de/zero-2-0",
    "cc-by/4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa/4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "officialWork": "https://www.gesetze-im-internet.de/urhg/__5.html",
}
OPEN_LICENCES = {
    "dl-by-de/2.0",
    "dl-zero-de/2.0",
    "cc-by/4.0",
    "cc-by-sa/4.0",
    "cc-zero",
    "odbl",
    "officialWork",
}

# EU Frequency vocabulary (the common subset)
FREQUENCIES = {
    t.code: t
    for t in [
        Term("CONT", "kontinuierlich", "continuous"),
        Term("DAILY", "täglich", "daily"),
        Term("WEEKLY", "wöchentlich", "weekly"),
        Term("MONTHLY", "monatlich", "monthly"),
        Term("QUARTERLY", "vierteljährlich", "quarterly"),
        Term("ANNUAL", "jährlich", "annual"),
        Term("IRREG", "unregelmäßig", "irregular"),
        Term("NEVER", "nie", "never"),
        Term("UNKNOWN", "unbekannt", "unknown"),
    ]
}

# EU File Type vocabulary code → media type
FORMATS = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "XML": "application/xml",
    "PDF": "application/pdf",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "ZIP": "application/zip",
    "TXT": "text/plain",
    "HTML": "text/html",
    "RDF_TURTLE": "text/turtle",
    "PNG": "image/png",
    "JPEG": "image/jpeg",
}
# Formats that are text: the content must be UTF-8 and not show a binary type
TEXT_FORMATS = {"CSV", "JSON", "GEOJSON", "XML", "TXT", "RDF_TURTLE"}
# Binary formats: the magic bytes must show one of these media types
BINARY_SIGNATURES = {
    "PDF": {"application/pdf"},
    "XLSX": {"application/zip", FORMATS["XLSX"]},
    "ODS": {"application/zip", FORMATS["ODS"]},
    "ZIP": {"application/zip", "application/x-zip-compressed"},
    "PNG": {"image/png"},
    "JPEG": {"image/jpeg"},
}

# dcatde:politicalGeocodingLevelURI by the level of a Gebiet
LEVELS = {
    "land": "state",
    "regierungsbezirk": "administrativeDistrict",
    "kreis": "district",
    "verband": "municipality",
    "gemeinde": "municipality",
}

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")


def theme_uri(code: str) -> str:
    return f"{THEME_SCHEME}/{code}"


def frequency_uri(code: str) -> str:
    return f"{FREQUENCY_SCHEME}/{code}"


def file_type_uri(code: str) -> str:
    return f"{FILE_TYPE_SCHEME}/{code}"


def licence_uri(code: str) -> str:
    """The URI of a licence code; a harvested licence outside the list is kept as its URI."""
    return code if code.startswith(("http://", "https://")) else f"{LICENCE_SCHEME}/{code}"


def level_uri(level: str) -> str:
    return f"{LEVEL_SCHEME}/{LEVELS.get(level, 'municipality')}"


def geocoding_uri(ars: str, level: str) -> str:
    """`dcatde:politicalGeocodingURI`: the Land by its state key, anything below by its ARS."""
    if level == "land":
        return f"{STATE_KEY}{ars[:2]}"
    return f"{REGIONAL_KEY}{ars.ljust(12, '0')}"


def code_from_uri(uri: str, scheme: str) -> str:
    """The code of a vocabulary URI of `scheme` (empty when the URI is of another scheme)."""
    prefix = scheme.rstrip("/") + "/"
    return uri[len(prefix) :] if uri.startswith(prefix) else ""


def format_code(value: str) -> str:
    """A file-type code from a URI, a media type or a free format name (`csv`, `.CSV`)."""
    value = value.strip()
    if value.startswith(FILE_TYPE_SCHEME):
        return code_from_uri(value, FILE_TYPE_SCHEME)
    for code, media_type in FORMATS.items():
        if value.lower() == media_type:
            return code
    return value.lstrip(".").upper().replace(" ", "_")[:30]


def slugify_name(title: str, *, suffix: str = "") -> str:
    """A CKAN `name`: lower-case ASCII, digits, '-' and '_', 2 to 100 characters."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    base = re.sub(r"[^a-z0-9_-]+", "-", title.lower().translate(table)).strip("-_")
    base = base[: 100 - len(suffix) - 1].strip("-_") or "datensatz"
    return f"{base}-{suffix}" if suffix else base
