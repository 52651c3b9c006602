"""A compiler of ISO Schematron (the constructs the EN 16931, XRechnung and Peppol rules use)
into XSLT 3.0, and the parser of the SVRL it produces.

Supported: `include` (recursively, relative to the including file), abstract patterns with
`param` (`is-a`), `let` at schema, pattern and rule level (schema and pattern `let`s become
global variables, as in the ISO skeleton; rule `let`s local ones), `assert` and `report` with
`flag`, `role`, `id`, `diagnostics` and message content (`name`, `value-of`, `emph`, `dir`,
`span`), `diagnostics`, `ns`, and foreign `xsl:function`/`xsl:key` declarations. `phase` is
ignored: all patterns run, which is what the KoSIT validator does (no `defaultPhase`).
Build tokens such as `@xrechnung.version@` are replaced by the values given to the compiler.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
XS = "http://www.w3.org/2001/XMLSchema"
_S = f"{{{SCH}}}"

TOKEN = re.compile(r"@[A-Za-z][A-Za-z0-9.\-]*@")


class SchematronError(Exception):
    """The rule file uses a construct this compiler does not support, or is broken."""


@dataclass(frozen=True)
class CompiledSchematron:
    """The XSLT text compiled from one Schematron file and the rule ids it defines."""

    source: Path
    title: str
    xslt: str
    rule_ids: frozenset[str]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )


def _load(path: Path, tokens: Mapping[str, str]) -> etree._Element:
    text = path.read_text(encoding="utf-8")
    text = TOKEN.sub(lambda m: tokens.get(m.group(0)[1:-1], m.group(0)), text)
    root = etree.fromstring(text.encode("utf-8"), _parser(), base_url=str(path))
    return root


def _resolve_includes(
    element: etree._Element, base: Path, tokens: Mapping[str, str], depth: int = 0
) -> None:
    if depth > 20:
        raise SchematronError(f"include nesting too deep at {base}")
    for inc in list(element.iter(_S + "include")):
        href = inc.get("href")
        if not href:
            raise SchematronError(f"include without href in {base}")
        target = (base.parent / href).resolve()
        included = _load(target, tokens)
        _resolve_includes(included, target, tokens, depth + 1)
        parent = inc.getparent()
        if parent is None:
            raise SchematronError(f"include at the root of {base}")
        parent.replace(inc, included)


def _substitute(expr: str, params: Mapping[str, str], pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: params[m.group(1)], expr)


def _instantiate(schema: etree._Element) -> list[etree._Element]:
    """The concrete patterns in document order, with abstract patterns instantiated."""
    patterns = [p for p in schema.iter(_S + "pattern")]
    abstract = {p.get("id"): p for p in patterns if p.get("abstract") == "true"}
    result: list[etree._Element] = []
    for pattern in patterns:
        if pattern.get("abstract") == "true":
            continue
        is_a = pattern.get("is-a")
        if not is_a:
            result.append(pattern)
            continue
        if is_a not in abstract:
            raise SchematronError(f"pattern {pattern.get('id')} is-a unknown {is_a}")
        params = {p.get("name", ""): p.get("value", "") for p in pattern.iter(_S + "param")}
        names = sorted(params, key=len, reverse=True)
        regex = re.compile(
            r"\$(" + "|".join(re.escape(n) for n in names) + r")(?![\w.\-])" if names else r"(?!)"
        )
        instance = copy.deepcopy(abstract[is_a])
        if "abstract" in instance.attrib:
            del instance.attrib["abstract"]
        instance.set("id", pattern.get("id") or is_a)
        for node in instance.iter():
            for attr in ("context", "test", "select", "path", "value", "subject"):
                value = node.get(attr)
                if value is not None and "$" in value:
                    node.set(attr, _substitute(value, params, regex))
        result.append(instance)
    return result


class _Writer:
    """Builds the XSLT as text (fast to write, and readable when cached on disk)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def _avt(value: str) -> str:
    """A literal for an attribute value template (braces doubled)."""
    return _attr(value).replace("{", "{{").replace("}", "}}")


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _message(element: etree._Element, out: _Writer) -> None:
    """The content of an assert, report or diagnostic as a sequence constructor."""
    if element.text:
        out.add(f"<xsl:text>{_text(element.text)}</xsl:text>")
    for child in element:
        if not isinstance(child.tag, str):
            pass
        elif child.tag == _S + "name":
            path = child.get("path")
            select = path if path else "."
            out.add(f'<xsl:value-of select="name({_attr(select)})"/>')
        elif child.tag == _S + "value-of":
            out.add(f'<xsl:value-of select="{_attr(child.get("select", "."))}"/>')
        elif child.tag in (_S + "emph", _S + "dir", _S + "span"):
            _message(child, out)
        else:
            raise SchematronError(f"unsupported element {child.tag} in a message")
        if child.tail:
            out.add(f"<xsl:text>{_text(child.tail)}</xsl:text>")


def _ns_declarations(schema: etree._Element) -> dict[str, str]:
    namespaces: dict[str, str] = {}
    for ns in schema.iter(_S + "ns"):
        prefix, uri = ns.get("prefix"), ns.get("uri")
        if prefix and uri is not None:
            if namespaces.get(prefix, uri) != uri:
                raise SchematronError(f"prefix {prefix} bound to two namespaces")
            namespaces[prefix] = uri
    return namespaces


def compile_schematron(path: Path, tokens: Mapping[str, str] | None = None) -> CompiledSchematron:
    """Compile the Schematron file at `path` (with its includes) into XSLT 3.0 text."""
    tokens = tokens or {}
    schema = _load(path, tokens)
    if schema.tag != _S + "schema":
        raise SchematronError(f"{path} is not an ISO Schematron schema")
    _resolve_includes(schema, path, tokens)
    binding = (schema.get("queryBinding") or "xslt2").lower()
    if binding not in {"xslt2", "xslt3", "xpath2", "xpath3", "xpath31"}:
        raise SchematronError(f"{path}: queryBinding {binding} is not supported")
    namespaces = _ns_declarations(schema)
    title_el = schema.find(_S + "title")
    title = " ".join((title_el.text or "").split()) if title_el is not None else path.name
    diagnostics = {d.get("id"): d for d in schema.iter(_S + "diagnostic")}

    out = _Writer()
    ns_attrs = "".join(
        f' xmlns:{p}="{_attr(u)}"' for p, u in namespaces.items() if p not in {"xsl", "svrl"}
    )
    extra = "" if "xs" in namespaces else f' xmlns:xs="{XS}"'
    # Namespaces declared on the schema element (e.g. xmlns:u for functions) are in scope
    # for foreign xsl:function elements; declare them too.
    for prefix, uri in (schema.nsmap or {}).items():
        if prefix and prefix not in namespaces and prefix not in {"xsl", "svrl", "xs"}:
            ns_attrs += f' xmlns:{prefix}="{_attr(uri)}"'
    out.add(
        f'<xsl:stylesheet version="3.0" xmlns:xsl="{XSL}" xmlns:svrl="{SVRL}"{extra}{ns_attrs}'
        f' exclude-result-prefixes="#all">'
        '<xsl:output method="xml" indent="no" encoding="UTF-8"/>'
    )
    # Foreign XSLT declarations (functions, keys) at schema level.
    for child in schema.iter(f"{{{XSL}}}function", f"{{{XSL}}}key"):
        out.add(etree.tostring(child, encoding="unicode", with_tail=False))

    patterns = _instantiate(schema)
    seen_globals: dict[str, str] = {}

    def global_let(let: etree._Element) -> None:
        name, value = let.get("name", ""), let.get("value")
        if value is None:
            raise SchematronError(f"let {name} without value")
        if name in seen_globals:
            if seen_globals[name] != value:
                raise SchematronError(f"global let {name} declared twice with different values")
            return
        seen_globals[name] = value
        out.add(f'<xsl:variable name="{_attr(name)}" select="{_attr(value)}"/>')

    for let in schema.findall(_S + "let"):
        global_let(let)
    for pattern in patterns:
        for let in pattern.findall(_S + "let"):
            global_let(let)

    out.add('<xsl:template match="/"><svrl:schematron-output>')
    for index, pattern in enumerate(patterns):
        pid = pattern.get("id", f"pattern-{index}")
        out.add(f'<svrl:active-pattern id="{_avt(pid)}"/>')
        out.add(f'<xsl:apply-templates select="/" mode="M{index}"/>')
    out.add("</svrl:schematron-output></xsl:template>")

    rule_ids: set[str] = set()
    for index, pattern in enumerate(patterns):
        rules = [r for r in pattern.findall(_S + "rule") if r.get("abstract") != "true"]
        for number, rule in enumerate(rules):
            context = rule.get("context")
            if not context:
                raise SchematronError(f"rule without context in pattern {pattern.get('id')}")
            priority = 100000 - number
            out.add(
                f'<xsl:template match="{_attr(context)}" priority="{priority}" mode="M{index}">'
            )
            rule_flag = rule.get("flag")
            rule_role = rule.get("role")
            for item in rule:
                if not isinstance(item.tag, str):
                    continue
                if item.tag == _S + "let":
                    value = item.get("value")
                    if value is None:
                        raise SchematronError(f"let {item.get('name')} without value")
                    out.add(
                        f'<xsl:variable name="{_attr(item.get("name", ""))}"'
                        f' select="{_attr(value)}"/>'
                    )
                elif item.tag in (_S + "assert", _S + "report"):
                    test = item.get("test")
                    if test is None:
                        raise SchematronError("assert/report without test")
                    is_assert = item.tag == _S + "assert"
                    rid = item.get("id") or ""
                    if rid:
                        rule_ids.add(rid)
                    flag = item.get("flag") or rule_flag or ""
                    role = item.get("role") or rule_role or ""
                    condition = f"not({test})" if is_assert else f"({test})"
                    kind = "failed-assert" if is_assert else "successful-report"
                    out.add(f'<xsl:if test="{_attr(condition)}">')
                    out.add(
                        f'<svrl:{kind} id="{_avt(rid)}" flag="{_avt(flag)}" role="{_avt(role)}"'
                        f' location="{{path(.)}}">'
                    )
                    out.add("<svrl:text>")
                    _message(item, out)
                    out.add("</svrl:text>")
                    for ref in (item.get("diagnostics") or "").split():
                        diagnostic = diagnostics.get(ref)
                        if diagnostic is None:
                            raise SchematronError(f"unknown diagnostic {ref}")
                        out.add(f'<svrl:diagnostic-reference diagnostic="{_avt(ref)}">')
                        _message(diagnostic, out)
                        out.add("</svrl:diagnostic-reference>")
                    out.add(f"</svrl:{kind}></xsl:if>")
                elif item.tag in (_S + "title", _S + "p"):
                    continue
                else:
                    raise SchematronError(f"unsupported element {item.tag} in a rule")
            out.add(f'<xsl:apply-templates select="*" mode="M{index}"/></xsl:template>')
        out.add(
            f'<xsl:template match="text()" priority="-1" mode="M{index}"/>'
            f'<xsl:template match="@*|node()" priority="-2" mode="M{index}">'
            f'<xsl:apply-templates select="*" mode="M{index}"/></xsl:template>'
        )
    out.add("</xsl:stylesheet>")
    return CompiledSchematron(
        source=path, title=title, xslt="".join(out.parts), rule_ids=frozenset(rule_ids)
    )
