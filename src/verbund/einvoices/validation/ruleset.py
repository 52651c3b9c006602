"""The rule directory (`VERBUND_EINVOICE_RULES`): scenarios, XML Schemas and Schematron rules,
compiled once per process and kept in a module-level cache.

Layout (the KoSIT/CEN releases unpacked, see docs/einvoice-rules.md)::

    scenarios.xml
    xsd/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd, UBL-CreditNote-2.1.xsd, ...
    xsd/cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd, ...
    schematron/en16931/{ubl,cii}/EN16931-{UBL,CII}-validation.sch (+ includes)
    schematron/xrechnung/{ubl,cii}/XRechnung-{UBL,CII}-validation.sch, common.sch
    schematron/peppol/PEPPOL-EN16931-{UBL,CII}.sch   (optional, Peppol BIS 3)

Only the Schematron compiled to XSLT text is cached on disk (SaxonC-HE cannot export compiled
stylesheets); the key is the SHA-256 of all sources and of the compiler module.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from lxml import etree
from saxonche import PySaxonProcessor, PyXdmNode, PyXsltExecutable

from verbund.einvoices.validation import schematron as sch
from verbund.einvoices.validation.report import Severity

logger = logging.getLogger(__name__)

SCENARIOS_NS = "http://www.xoev.de/de/validator/framework/1/scenarios"
_SC = f"{{{SCENARIOS_NS}}}"

# Peppol BIS 3 rules that XRechnung adopts (the XRechnung rule tests name them). Findings of
# other rules in a Peppol file are Peppol-only and do not apply to an XRechnung.
PEPPOL_ADOPTED = frozenset(
    {
        "PEPPOL-EN16931-R001",
        "PEPPOL-EN16931-R005",
        "PEPPOL-EN16931-R008",
        "PEPPOL-EN16931-R010",
        "PEPPOL-EN16931-R020",
        "PEPPOL-EN16931-R040",
        "PEPPOL-EN16931-R041",
        "PEPPOL-EN16931-R042",
        "PEPPOL-EN16931-R043",
        "PEPPOL-EN16931-R043-1",
        "PEPPOL-EN16931-R043-2",
        "PEPPOL-EN16931-R044",
        "PEPPOL-EN16931-R046",
        "PEPPOL-EN16931-R053",
        "PEPPOL-EN16931-R054",
        "PEPPOL-EN16931-R055",
        "PEPPOL-EN16931-R061",
        "PEPPOL-EN16931-R101",
        "PEPPOL-EN16931-R110",
        "PEPPOL-EN16931-R111",
        "PEPPOL-EN16931-R120",
        "PEPPOL-EN16931-R121",
        "PEPPOL-EN16931-R130",
    }
)
PEPPOL_FILES = {"UBL": "PEPPOL-EN16931-UBL.sch", "CII": "PEPPOL-EN16931-CII.sch"}

LEVELS = {
    "error": Severity.FATAL,
    "fatal": Severity.FATAL,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "information": Severity.INFORMATION,
    "info": Severity.INFORMATION,
}

# One SaxonC processor per process; SaxonC calls are serialised by this lock.
SAXON_LOCK = threading.RLock()
_processor: PySaxonProcessor | None = None


def processor() -> PySaxonProcessor:
    global _processor
    with SAXON_LOCK:
        if _processor is None:
            _processor = PySaxonProcessor(license=False)
        return _processor


def rules_dir() -> Path:
    configured = getattr(settings, "VERBUND_EINVOICE_RULES", None)
    if configured:
        return Path(configured)
    return Path(settings.VERBUND_DATA_DIR) / "xrechnung"


class RulesUnavailable(Exception):
    """The rule directory is missing or incomplete (an operator error, not the supplier's)."""


@dataclass(frozen=True)
class Stylesheet:
    """A compiled Schematron: its XSLT (SVRL output), source and rule ids.

    `validate()` runs the scenario's fused pass; this stylesheet on its own serves the
    rule tests and the fallback, so Saxon compiles it on first use only."""

    name: str
    source: Path
    xslt: str
    rule_ids: frozenset[str]
    compile_seconds: float
    only_rules: frozenset[str] | None = None  # Peppol: keep only the rules XRechnung adopts

    @cached_property
    def executable(self) -> PyXsltExecutable:
        return _compile_xslt(self.xslt)


@dataclass(frozen=True)
class FusedPass:
    """A scenario's Schematron files compiled into one walk that writes only what fired
    (`schematron.compile_fused`); `sheets` are the same files apart, in the same order."""

    executable: PyXsltExecutable
    sheets: tuple[Stylesheet, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    namespaces: dict[str, str]
    match: str
    xsd: Path
    schematron: tuple[Path, ...]
    custom_levels: dict[str, Severity]
    syntax: str
    xpath1: str | None = None  # the match in XPath 1.0 (for lxml), when it can be written so


@dataclass
class RuleSet:
    """Everything needed to validate, compiled once."""

    directory: Path
    tokens: dict[str, str]
    scenarios: list[Scenario]
    selector: PyXsltExecutable
    schemas: dict[Path, etree.XMLSchema]
    stylesheets: dict[Path, Stylesheet]
    peppol: dict[str, Stylesheet] = field(default_factory=dict)
    compile_seconds: float = 0.0
    schema_locks: dict[Path, threading.Lock] = field(default_factory=dict)
    # By the sources of the scenario's stylesheets; None where they cannot share a pass.
    fused: dict[tuple[Path, ...], FusedPass | None] = field(default_factory=dict)
    fused_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # An lxml XMLSchema keeps its error log on the object: one validation at a time.
        self.schema_locks = {path: threading.Lock() for path in self.schemas}

    def select(self, root: etree._Element, node: Callable[[], PyXdmNode]) -> Scenario | None:
        """The first scenario whose match expression holds for the document.

        The matches of scenarios.xml are evaluated with lxml when they are valid XPath 1.0
        once `exists()` is read as `boolean()` (fast); otherwise all of them with Saxon.
        """
        if all(s.xpath1 for s in self.scenarios):
            for scenario in self.scenarios:
                namespaces = {p: u for p, u in scenario.namespaces.items() if p}
                if root.xpath(scenario.xpath1 or "", namespaces=namespaces):
                    return scenario
            return None
        index = int(run(self.selector, node()).strip() or "-1")
        return self.scenarios[index] if index >= 0 else None

    def schema_lock(self, path: Path) -> threading.Lock:
        return self.schema_locks[path]

    def fused_for(self, scenario: Scenario) -> FusedPass | None:
        """The scenario's one-pass stylesheet, or None: then run `stylesheets_for` apart.

        Compiled on the scenario's first document and kept (`prepare()` compiles all)."""
        sheets = self.stylesheets_for(scenario)
        key = tuple(s.source for s in sheets)
        try:
            return self.fused[key]
        except KeyError:
            pass
        with self.fused_lock:
            if key not in self.fused:
                self.fused[key] = compile_fused(sheets, self.tokens)
            return self.fused[key]

    def prepare(self) -> None:
        """Compile every scenario's pass now (worker start-up, benchmarks, rule checks)."""
        for scenario in self.scenarios:
            self.fused_for(scenario)

    def stylesheets_for(self, scenario: Scenario) -> list[Stylesheet]:
        sheets = [self.stylesheets[p] for p in scenario.schematron]
        if "xrechnung" in scenario.name.lower() and scenario.syntax in self.peppol:
            sheets.append(self.peppol[scenario.syntax])
        return sheets


def build_tokens(directory: Path) -> dict[str, str]:
    """Values of the build tokens (`@xrechnung.spec.id@` …), taken from `common.sch`."""
    common = directory / "schematron" / "xrechnung" / "common.sch"
    text = common.read_text(encoding="utf-8") if common.exists() else ""

    def literal(name: str, default: str) -> str:
        found = re.search(rf'name="{re.escape(name)}"\s+value="\'([^\']*)\'"', text)
        return found.group(1) if found else default

    version = literal("XR-MAJOR-MINOR-VERSION", "3.0")
    cvd = literal("CVD-MAJOR-MINOR-VERSION", "0.9")
    spec = f"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_{version}"
    return {
        "xrechnung.version": version,
        "xrechnung.spec.id": spec,
        "xrechnung.extension.id": (
            f"{spec}#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_{version}"
        ),
        "xrechnung.cvd.id": f"{spec}#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_{cvd}",
        "xrechnung.cvd.version.major.minor": cvd,
        "xr-schematron.version.full": f"{version} (Regelverzeichnis)",
    }


def _find(directory: Path, basename: str, *, under: str) -> Path:
    matches = sorted(
        p for p in (directory / under).rglob(basename) if "preprocessed" not in p.parts
    )
    if not matches:
        raise RulesUnavailable(f"{basename} fehlt unter {directory / under}")
    return matches[0]


def _replace_tokens(text: str, tokens: dict[str, str]) -> str:
    return sch.TOKEN.sub(lambda m: tokens.get(m.group(0)[1:-1], m.group(0)), text)


def load_scenarios(directory: Path, tokens: dict[str, str]) -> list[Scenario]:
    path = directory / "scenarios.xml"
    if not path.exists():
        raise RulesUnavailable(f"{path} fehlt")
    root = etree.parse(
        str(path), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    ).getroot()
    scenarios = []
    for element in root.iter(_SC + "scenario"):
        name = " ".join(_replace_tokens(element.findtext(_SC + "name") or "", tokens).split())
        namespaces = {
            ns.get("prefix", ""): (ns.text or "").strip()
            for ns in element.findall(_SC + "namespace")
        }
        match = _replace_tokens((element.findtext(_SC + "match") or "").strip(), tokens)
        xsd_location = element.findtext(f"{_SC}validateWithXmlSchema/{_SC}resource/{_SC}location")
        sch_locations = [
            loc.text or ""
            for loc in element.findall(f"{_SC}validateWithSchematron/{_SC}resource/{_SC}location")
        ]
        if not match or not xsd_location:
            continue
        levels = {
            (cl.text or "").strip(): LEVELS[cl.get("level", "error")]
            for cl in element.iter(_SC + "customLevel")
        }
        xsd = _find(directory, Path(xsd_location).name, under="xsd")
        schematron = tuple(
            _find(directory, Path(loc).with_suffix(".sch").name, under="schematron")
            for loc in sch_locations
        )
        syntax = "CII" if "CrossIndustryInvoice" in xsd.name else "UBL"
        xpath1: str | None = re.sub(r"\bexists\(", "boolean(", match)
        try:
            etree.XPath(xpath1 or "", namespaces={p: u for p, u in namespaces.items() if p})
        except etree.XPathError:
            xpath1 = None
        scenarios.append(
            Scenario(
                name=name,
                namespaces=namespaces,
                match=match,
                xsd=xsd,
                schematron=schematron,
                custom_levels=levels,
                syntax=syntax,
                xpath1=xpath1,
            )
        )
    if not scenarios:
        raise RulesUnavailable(f"{path} enthält kein Szenario")
    return scenarios


def _selector_xslt(scenarios: list[Scenario]) -> str:
    """One stylesheet that returns the index of the first matching scenario (or -1)."""
    parts = [
        '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="text"/><xsl:template match="/"><xsl:choose>'
    ]
    for index, scenario in enumerate(scenarios):
        ns = "".join(f' xmlns:{p}="{sch._attr(u)}"' for p, u in scenario.namespaces.items() if p)
        parts.append(
            f'<xsl:when test="{sch._attr(scenario.match)}"{ns}>'
            f"<xsl:text>{index}</xsl:text></xsl:when>"
        )
    parts.append("<xsl:otherwise>-1</xsl:otherwise></xsl:choose></xsl:template></xsl:stylesheet>")
    return "".join(parts)


def _compile_xslt(text: str) -> PyXsltExecutable:
    with SAXON_LOCK:
        compiler = processor().new_xslt30_processor()
        return compiler.compile_stylesheet(stylesheet_text=text)


def _sources_digest(path: Path) -> str:
    """SHA-256 over a Schematron file, the files it includes, and this compiler."""
    digest = hashlib.sha256()
    digest.update(Path(sch.__file__).read_bytes())
    for source in sorted(path.parent.rglob("*.sch")) + sorted(path.parent.parent.glob("*.sch")):
        digest.update(str(source.relative_to(path.parent.parent)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def compile_stylesheet(
    path: Path, tokens: dict[str, str], only_rules: frozenset[str] | None = None
) -> Stylesheet:
    started = time.perf_counter()
    cache_dir = getattr(settings, "VERBUND_EINVOICE_CACHE_DIR", None)
    compiled: sch.CompiledSchematron | None = None
    xslt: str | None = None
    cached = None
    if cache_dir:
        cached = Path(cache_dir) / f"{path.stem}-{_sources_digest(path)}.xsl"
        if cached.exists():
            xslt = cached.read_text(encoding="utf-8")
    rule_ids: frozenset[str]
    if xslt is None:
        compiled = sch.compile_schematron(path, tokens)
        xslt = compiled.xslt
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                tmp.write_text(xslt, encoding="utf-8")
                tmp.replace(cached)
            except OSError as exc:  # a read-only cache is no reason to fail
                logger.warning("cannot cache compiled Schematron in %s: %s", cached, exc)
        rule_ids = compiled.rule_ids
    else:
        rule_ids = frozenset(
            re.findall(r'<svrl:(?:failed-assert|successful-report) id="([^"]*)"', xslt)
        )
    return Stylesheet(
        name=path.stem,
        source=path,
        xslt=xslt,
        rule_ids=rule_ids,
        compile_seconds=time.perf_counter() - started,
        only_rules=only_rules,
    )


def compile_fused(sheets: list[Stylesheet], tokens: dict[str, str]) -> FusedPass | None:
    """The one-pass stylesheet of `sheets` (cached on disk as their XSLT is), or None when
    the files cannot share one stylesheet (they then run one after the other)."""
    cache_dir = getattr(settings, "VERBUND_EINVOICE_CACHE_DIR", None)
    cached = None
    xslt: str | None = None
    if cache_dir:
        digest = hashlib.sha256()
        for sheet in sheets:
            digest.update(_sources_digest(sheet.source).encode())
            digest.update(repr(sorted(sheet.only_rules or ())).encode())
        cached = Path(cache_dir) / f"fused-{digest.hexdigest()}.xsl"
        if cached.exists():
            xslt = cached.read_text(encoding="utf-8")
    if xslt is None:
        try:
            xslt = sch.compile_fused(
                [sch.FusedSource(s.source, s.only_rules) for s in sheets], tokens
            )
        except sch.SchematronError as exc:
            logger.info("Schematron %s run apart: %s", [s.name for s in sheets], exc)
            return None
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                tmp.write_text(xslt, encoding="utf-8")
                tmp.replace(cached)
            except OSError as exc:
                logger.warning("cannot cache the fused Schematron in %s: %s", cached, exc)
    return FusedPass(executable=_compile_xslt(xslt), sheets=tuple(sheets))


def _load_xsd(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def load(directory: Path) -> RuleSet:
    """Read and compile the rule directory (slow: a second; cached by `ruleset()`); the
    Saxon compilation of the fused passes follows on first use or `RuleSet.prepare()`."""
    started = time.perf_counter()
    if not directory.is_dir():
        raise RulesUnavailable(f"Regelverzeichnis {directory} fehlt")
    tokens = build_tokens(directory)
    scenarios = load_scenarios(directory, tokens)
    schemas = {xsd: _load_xsd(xsd) for xsd in dict.fromkeys(s.xsd for s in scenarios)}
    stylesheets: dict[Path, Stylesheet] = {}
    for scenario in scenarios:
        for path in scenario.schematron:
            if path not in stylesheets:
                stylesheets[path] = compile_stylesheet(path, tokens)
    peppol: dict[str, Stylesheet] = {}
    for syntax, filename in PEPPOL_FILES.items():
        candidate = directory / "schematron" / "peppol" / filename
        if candidate.exists():
            peppol[syntax] = compile_stylesheet(candidate, tokens, PEPPOL_ADOPTED)
    return RuleSet(
        directory=directory,
        tokens=tokens,
        scenarios=scenarios,
        selector=_compile_xslt(_selector_xslt(scenarios)),
        schemas=schemas,
        stylesheets=stylesheets,
        peppol=peppol,
        compile_seconds=time.perf_counter() - started,
    )


_cache: dict[Path, RuleSet] = {}
_default: dict[Any, RuleSet] = {}  # by the configured values (no Path built per call)
_cache_lock = threading.Lock()


def ruleset(directory: Path | None = None) -> RuleSet:
    """The compiled rules of `directory` (default: the configured one), compiled once."""
    if directory is None:
        setting = (
            getattr(settings, "VERBUND_EINVOICE_RULES", None),
            settings.VERBUND_DATA_DIR,
        )
        found = _default.get(setting)
        if found is not None:
            return found
        directory = rules_dir()
        found = ruleset(directory)
        _default[setting] = found
        return found
    key = directory.resolve()
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = load(key)
            _cache[key] = found
        return found


# SaxonC hands a text to its parser at about half the speed it reads a file (measured
# 2026-12-07: 420 KB, 5.4 ms from text, 3.0 ms from a file; 20 KB, 0.27 ms against 0.39 ms).
# A large document (base64 attachments) is therefore given as an anonymous in-memory file.
LARGE_DOCUMENT = 32_000  # characters
_IN_MEMORY_FILES = hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir()


def parse_for_saxon(xml_text: str) -> PyXdmNode:
    """The text (without an XML declaration naming another encoding than UTF-8) parsed by
    Saxon."""
    if len(xml_text) < LARGE_DOCUMENT or not _IN_MEMORY_FILES:
        with SAXON_LOCK:
            return processor().parse_xml(xml_text=xml_text)
    descriptor = os.memfd_create("verbund-einvoice", os.MFD_CLOEXEC)
    try:
        with os.fdopen(descriptor, "wb", closefd=False) as file:
            file.write(xml_text.encode("utf-8"))
        with SAXON_LOCK:
            return processor().parse_xml(xml_file_name=f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)


def run(stylesheet: PyXsltExecutable, node: PyXdmNode) -> str:
    """Apply a compiled stylesheet to a parsed document; returns the serialised result."""
    with SAXON_LOCK:
        stylesheet.set_global_context_item(xdm_item=node)
        result: Any = stylesheet.transform_to_string(xdm_node=node)
        if result is None:
            raise RuntimeError(f"Saxon transformation failed: {stylesheet.get_error_message()}")
        return str(result)
