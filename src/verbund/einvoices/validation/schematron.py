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
    out.add(_stylesheet_start(schema, namespaces))
    # Foreign XSLT declarations (functions, keys) at schema level.
    for child in schema.iter(f"{{{XSL}}}function", f"{{{XSL}}}key"):
        out.add(etree.tostring(child, encoding="unicode", with_tail=False))
    patterns = _instantiate(schema)
    _global_lets(schema, patterns, out)
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
            _rule_template(rule, number, index, pattern, diagnostics, out, rule_ids)
        out.add(
            f'<xsl:template match="text()" priority="-1" mode="M{index}"/>'
            f'<xsl:template match="@*|node()" priority="-2" mode="M{index}">'
            f'<xsl:apply-templates select="*" mode="M{index}"/></xsl:template>'
        )
    out.add("</xsl:stylesheet>")
    return CompiledSchematron(
        source=path, title=title, xslt="".join(out.parts), rule_ids=frozenset(rule_ids)
    )


def _stylesheet_start(schema: etree._Element, namespaces: dict[str, str]) -> str:
    """The opening of the SVRL-writing stylesheet with the schema's namespaces."""
    ns_attrs = "".join(
        f' xmlns:{p}="{_attr(u)}"' for p, u in namespaces.items() if p not in {"xsl", "svrl"}
    )
    extra = "" if "xs" in namespaces else f' xmlns:xs="{XS}"'
    # Namespaces declared on the schema element (e.g. xmlns:u for functions) are in scope
    # for foreign xsl:function elements; declare them too.
    for prefix, uri in (schema.nsmap or {}).items():
        if prefix and prefix not in namespaces and prefix not in {"xsl", "svrl", "xs"}:
            ns_attrs += f' xmlns:{prefix}="{_attr(uri)}"'
    return (
        f'<xsl:stylesheet version="3.0" xmlns:xsl="{XSL}" xmlns:svrl="{SVRL}"{extra}{ns_attrs}'
        f' exclude-result-prefixes="#all">'
        '<xsl:output method="xml" indent="no" encoding="UTF-8"/>'
    )


def _global_lets(schema: etree._Element, patterns: list[etree._Element], out: _Writer) -> None:
    """The schema's and its patterns' `let`s as global variables, each name once."""
    seen: dict[str, str] = {}
    lets = [*schema.findall(_S + "let")]
    for pattern in patterns:
        lets.extend(pattern.findall(_S + "let"))
    for let in lets:
        name, value = let.get("name", ""), let.get("value")
        if value is None:
            raise SchematronError(f"let {name} without value")
        if name in seen:
            if seen[name] != value:
                raise SchematronError(f"global let {name} declared twice with different values")
            continue
        seen[name] = value
        out.add(f'<xsl:variable name="{_attr(name)}" select="{_attr(value)}"/>')


def _rule_template(
    rule: etree._Element,
    number: int,
    index: int,
    pattern: etree._Element,
    diagnostics: Mapping[str | None, etree._Element],
    out: _Writer,
    rule_ids: set[str],
) -> None:
    """One rule as a template of its pattern's mode: its `let`s, then each assertion."""
    context = rule.get("context")
    if not context:
        raise SchematronError(f"rule without context in pattern {pattern.get('id')}")
    priority = 100000 - number
    out.add(f'<xsl:template match="{_attr(context)}" priority="{priority}" mode="M{index}">')
    for item in rule:
        if not isinstance(item.tag, str):
            continue
        if item.tag == _S + "let":
            value = item.get("value")
            if value is None:
                raise SchematronError(f"let {item.get('name')} without value")
            out.add(f'<xsl:variable name="{_attr(item.get("name", ""))}" select="{_attr(value)}"/>')
        elif item.tag in (_S + "assert", _S + "report"):
            _assertion(item, rule, diagnostics, out, rule_ids)
        elif item.tag not in (_S + "title", _S + "p"):
            raise SchematronError(f"unsupported element {item.tag} in a rule")
    out.add(f'<xsl:apply-templates select="*" mode="M{index}"/></xsl:template>')


def _assertion(
    item: etree._Element,
    rule: etree._Element,
    diagnostics: Mapping[str | None, etree._Element],
    out: _Writer,
    rule_ids: set[str],
) -> None:
    """An assert or report as an `xsl:if` writing its SVRL element with text and diagnostics."""
    test = item.get("test")
    if test is None:
        raise SchematronError("assert/report without test")
    is_assert = item.tag == _S + "assert"
    rid = item.get("id") or ""
    if rid:
        rule_ids.add(rid)
    flag = item.get("flag") or rule.get("flag") or ""
    role = item.get("role") or rule.get("role") or ""
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


# The fused pass (docs/decisions/0018-einvoice-speed.md): the Schematron files of a scenario
# compiled into one stylesheet that walks the document once and writes only what fired.
#
# Each pattern of the compiled SVRL stylesheet above walks the whole tree in its own mode.
# Here every rule of every pattern is a template of one mode, ordered by priority: first
# file, then pattern, then rule. A template does its pattern's checks and hands the node on
# with `xsl:next-match`, passing the number of the pattern that has taken it, so the later
# rules of the same pattern skip it (a node is checked by the first matching rule of each
# pattern, as in Schematron); the last template walks on to the children. The output is
# text, one line per fired assertion:
#   file number TAB pattern number TAB id TAB flag TAB role TAB location TAB message
# so that nothing is written or read when nothing fired (the usual case).
FUSED_FIELDS = 7
# `//@name` (every attribute of that name in the document; 24 EN 16931 UBL rules forbid
# one each) walks the whole tree per rule; an index built once per document answers all.
ATTRIBUTE_INDEX = True
_ALL_ATTRIBUTES = re.compile(r"(?<![\w)\].*/])//@([A-Za-z_][\w.\-]*)(?=\s|\)|,|$)")
# `ends-with(name(), 'Amount')` builds each node's prefixed name to compare its end; the
# local name has the same end whenever the literal holds no colon (a longer end would
# take in the colon), and Saxon reads it stored. Rule contexts of this form are tried on
# every element of the document, so it counts (measured in decision 0018, 2026-12-07).
_NAME_ENDS = re.compile(r"(?<![\w:.\-])ends-with\(\s*name\(\s*\)\s*,\s*'([^':]*)'\s*\)")


def _faster_test(expression: str) -> str:
    """A test or context rewritten into an equivalent that Saxon evaluates faster."""
    return _NAME_ENDS.sub(r"ends-with(local-name(), '\1')", expression)


def _faster_context(context: str) -> str:
    """A rule context without the leading `//` of its branches: the documents checked are
    whole documents, in which every element lies below the document node, so `//X` and `X`
    match the same nodes, and Saxon then skips the test of the root."""
    branches = _union_branches(_faster_test(context))
    if branches is None:
        return _faster_test(context)
    return " | ".join(
        branch[2:] if branch.startswith("//") and not branch.startswith("///") else branch
        for branch in branches
    )


def _union_branches(pattern: str) -> list[str] | None:
    """The pattern's top-level `|` branches, stripped; None when it cannot be split safely
    (the operators `union`, `intersect` or `except`, an unbalanced bracket or quote)."""
    if re.search(r"\b(union|intersect|except)\b", pattern):
        return None
    branches: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for index, char in enumerate(pattern):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index].strip())
            start = index + 1
    if quote or depth:
        return None
    branches.append(pattern[start:].strip())
    return branches if all(branches) else None


@dataclass(frozen=True)
class FusedSource:
    """One Schematron file of a fused pass; `only_rules` keeps just these assertion ids."""

    path: Path
    only_rules: frozenset[str] | None = None


@dataclass(frozen=True)
class _Loaded:
    schema: etree._Element
    namespaces: dict[str, str]
    extra_namespaces: dict[str, str]
    patterns: list[etree._Element]
    globals: list[tuple[str, str]]
    declarations: list[tuple[str, str]]  # foreign xsl:function / xsl:key: (kind name, text)


def _load_for_fusing(path: Path, tokens: Mapping[str, str]) -> _Loaded:
    schema = _load(path, tokens)
    if schema.tag != _S + "schema":
        raise SchematronError(f"{path} is not an ISO Schematron schema")
    _resolve_includes(schema, path, tokens)
    binding = (schema.get("queryBinding") or "xslt2").lower()
    if binding not in {"xslt2", "xslt3", "xpath2", "xpath3", "xpath31"}:
        raise SchematronError(f"{path}: queryBinding {binding} is not supported")
    declarations = [
        (
            f"{child.tag} {child.get('name')}",
            etree.tostring(child, encoding="unicode", with_tail=False),
        )
        for child in schema.iter(f"{{{XSL}}}function", f"{{{XSL}}}key")
    ]
    patterns = _instantiate(schema)
    lets = list(schema.findall(_S + "let"))
    for pattern in patterns:
        lets.extend(pattern.findall(_S + "let"))
    found: list[tuple[str, str]] = []
    for let in lets:
        value = let.get("value")
        if value is None:
            raise SchematronError(f"let {let.get('name')} without value")
        found.append((let.get("name", ""), value))
    extra = {p: u for p, u in (schema.nsmap or {}).items() if p and p not in {"xsl", "svrl", "xs"}}
    return _Loaded(schema, _ns_declarations(schema), extra, patterns, found, declarations)


def compile_fused(sources: list[FusedSource], tokens: Mapping[str, str] | None = None) -> str:
    """One XSLT 3.0 text that checks all `sources` in a single walk (see above).

    Raises `SchematronError` when the files cannot share one stylesheet (a namespace prefix
    or a global `let` with two meanings, XSLT functions); the caller then runs them apart.
    """
    tokens = tokens or {}
    loaded = [_load_for_fusing(source.path, tokens) for source in sources]
    namespaces = _fused_namespaces(loaded)
    out = _Writer()
    ns_attrs = "".join(f' xmlns:{p}="{_attr(u)}"' for p, u in namespaces.items() if p != "xsl")
    extra = "" if "xs" in namespaces else f' xmlns:xs="{XS}"'
    out.add(
        f'<xsl:stylesheet version="3.0" xmlns:xsl="{XSL}"{extra}{ns_attrs}'
        ' exclude-result-prefixes="#all">'
        '<xsl:output method="text" encoding="UTF-8"/>'
        '<xsl:mode name="F" on-no-match="shallow-skip"/>'
    )
    _fused_declarations(loaded, out)
    out.add(
        '<xsl:key name="sch-fused-attribute" match="@*[namespace-uri() = \'\']"'
        ' use="local-name()"/>'
    )
    out.add('<xsl:template match="/"><xsl:apply-templates select="." mode="F"/></xsl:template>')
    everything = [
        (file_number, pattern)
        for file_number, item in enumerate(loaded)
        for pattern in item.patterns
    ]
    total = len(everything)
    for number, (file_number, pattern) in enumerate(everything):
        only = sources[file_number].only_rules
        rules = [r for r in pattern.findall(_S + "rule") if r.get("abstract") != "true"]
        if len(rules) >= 10000:
            raise SchematronError("too many rules in one pattern")
        for rule_number, rule in enumerate(rules):
            priority = (total - number) * 10000 + (9999 - rule_number)
            _fused_rule(rule, pattern, priority, number, out)
            _fused_checks(rule, file_number, number, only, out)
            out.add(
                f'<xsl:next-match><xsl:with-param name="sch-fused-taken" select="{number}"/>'
                "</xsl:next-match></xsl:otherwise></xsl:choose></xsl:template>"
            )
    # Every element (and the document node) ends up here, once, and the walk goes on.
    out.add(
        '<xsl:template match="document-node()|*" priority="-1" mode="F">'
        '<xsl:apply-templates select="*" mode="F"/></xsl:template>'
    )
    out.add("</xsl:stylesheet>")
    return "".join(out.parts)


def _fused_namespaces(loaded: list[_Loaded]) -> dict[str, str]:
    namespaces: dict[str, str] = {}
    for item in loaded:
        for prefix, uri in {**item.extra_namespaces, **item.namespaces}.items():
            if namespaces.get(prefix, uri) != uri:
                raise SchematronError(f"prefix {prefix} bound to two namespaces: not fused")
            namespaces[prefix] = uri
    return namespaces


def _fused_declarations(loaded: list[_Loaded], out: _Writer) -> None:
    """The files' foreign declarations and global `let`s, each once (or not fused)."""
    seen_declarations: dict[str, str] = {}
    for item in loaded:
        for key, text in item.declarations:
            if key in seen_declarations:
                if seen_declarations[key] != text:
                    raise SchematronError(f"{key} declared twice differently: not fused")
                continue
            seen_declarations[key] = text
            out.add(text)
    seen_globals: dict[str, str] = {}
    for item in loaded:
        for name, value in item.globals:
            if name in seen_globals:
                if seen_globals[name] != value:
                    raise SchematronError(f"global let {name} with two values: not fused")
                continue
            seen_globals[name] = value
            out.add(f'<xsl:variable name="{_attr(name)}" select="{_attr(value)}"/>')


def _fused_rule(
    rule: etree._Element, pattern: etree._Element, priority: int, number: int, out: _Writer
) -> None:
    """The opening of a rule's template in the fused walk: when pattern `number` has already
    taken the node, the template passes it on to the next match."""
    context = rule.get("context")
    if not context:
        raise SchematronError(f"rule without context in pattern {pattern.get('id')}")
    out.add(
        f'<xsl:template match="{_attr(_faster_context(context))}" priority="{priority}" mode="F">'
        '<xsl:param name="sch-fused-taken" as="xs:integer" select="-1"/>'
        f'<xsl:choose><xsl:when test="$sch-fused-taken eq {number}"><xsl:next-match>'
        '<xsl:with-param name="sch-fused-taken" select="$sch-fused-taken"/>'
        "</xsl:next-match></xsl:when>"
        "<xsl:otherwise>"
    )


def _fused_checks(
    rule: etree._Element,
    file_number: int,
    pattern_number: int,
    only: frozenset[str] | None,
    out: _Writer,
) -> None:
    rule_flag = rule.get("flag")
    rule_role = rule.get("role")
    for item in rule:
        if not isinstance(item.tag, str):
            continue
        if item.tag == _S + "let":
            value = item.get("value")
            if value is None:
                raise SchematronError(f"let {item.get('name')} without value")
            out.add(f'<xsl:variable name="{_attr(item.get("name", ""))}" select="{_attr(value)}"/>')
        elif item.tag in (_S + "assert", _S + "report"):
            test = item.get("test")
            if test is None:
                raise SchematronError("assert/report without test")
            rid = item.get("id") or ""
            if only is not None and rid not in only:
                continue  # not a rule of this scenario (Peppol rules XRechnung does not adopt)
            flag = item.get("flag") or rule_flag or ""
            role = item.get("role") or rule_role or ""
            if ATTRIBUTE_INDEX:
                test = _ALL_ATTRIBUTES.sub(r"key('sch-fused-attribute', '\1', /)", test)
            test = _faster_test(test)
            condition = f"not({test})" if item.tag == _S + "assert" else f"({test})"
            for value in (rid, flag, role):
                if any(c in value for c in "\t\n\r"):
                    raise SchematronError(f"tab or line break in id/flag/role of {rid}")
            out.add(f'<xsl:if test="{_attr(condition)}"><xsl:variable name="sch-fused-message">')
            _message(item, out)
            out.add(
                f"</xsl:variable><xsl:text>{file_number}&#9;{pattern_number}&#9;"
                f"{_text(rid)}&#9;{_text(flag)}&#9;{_text(role)}&#9;</xsl:text>"
                '<xsl:value-of select="path(.)"/><xsl:text>&#9;</xsl:text>'
                '<xsl:value-of select="normalize-space($sch-fused-message)"/>'
                "<xsl:text>&#10;</xsl:text></xsl:if>"
            )
        elif item.tag in (_S + "title", _S + "p"):
            continue
        else:
            raise SchematronError(f"unsupported element {item.tag} in a rule")
