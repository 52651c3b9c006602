"""Declarative form definitions, modelled on FIM XDatenfelder 3 (pure, no database).

A definition is JSON: steps (pages) hold elements; an element is a field (Datenfeld) or a
group (Datenfeldgruppe), and a group with `max` > 1 repeats. Field kinds and data types are
XDatenfelder's (Feldart, Datentyp); select fields take their values from a code list. Rules
(Regeln) are declarative here (see `rules.py`), so that they can be evaluated without running
script code from a file.

`parse_form(data)` checks a definition completely and returns the typed structure; a wrong
definition raises InvalidSourceFile naming the element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from verbund.core.errors import InvalidSourceFile

KINDS = ("input", "select", "label", "hidden", "locked")
DATATYPES = (
    "text",
    "text_latin",
    "date",
    "time",
    "datetime",
    "bool",
    "num",
    "num_int",
    "num_currency",
    "file",
)
RULE_TYPES = ("required_if", "visible_if", "date_range", "compare", "one_of_required")
COMPARE_OPS = ("<", "<=", "==", "!=", ">=", ">")
FEE_TYPES = ("fixed", "per_item", "range")
APPLICANTS = ("citizen", "organisation", "authority")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    kind: str = "input"
    datatype: str = "text"
    required: bool = False
    help: str = ""
    options: tuple[Option, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    pattern: str = ""
    content: str = ""
    value: Any = None
    prefill: str = ""
    widget: str = ""
    accept: tuple[str, ...] = ()
    fim_id: str = ""
    codelist_ref: str = ""
    # HTML `autocomplete` token (WCAG 1.3.5); profile prefills imply one (see rendering).
    autocomplete: str = ""

    @property
    def is_element_group(self) -> bool:
        return False

    @property
    def takes_input(self) -> bool:
        return self.kind in {"input", "select"}

    @property
    def carries_value(self) -> bool:
        return self.kind != "label"


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    items: tuple[Field | Group, ...]
    min: int = 1
    max: int = 1
    help: str = ""
    item_label: str = ""
    fim_id: str = ""

    @property
    def is_element_group(self) -> bool:
        return True

    @property
    def repeats(self) -> bool:
        return self.max != 1


@dataclass(frozen=True)
class Rule:
    """One Regel. `field` is the element the rule is about (its error shows there); names are
    relative to the group the rule is declared in."""

    id: str
    type: str
    field: str
    message: str
    when: dict[str, Any] | None = None
    min: Any = None
    max: Any = None
    op: str = ""
    right: Any = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    items: tuple[Field | Group, ...]
    intro: str = ""


@dataclass(frozen=True)
class FeeItem:
    type: str
    label: str
    amount: Decimal = Decimal(0)
    field: str = ""
    ranges: tuple[tuple[Decimal | None, Decimal], ...] = ()
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class Form:
    id: str
    title: str
    steps: tuple[Step, ...]
    rules: dict[str, tuple[Rule, ...]]  # scope ("" for the form, else group id) -> rules
    applicant: str = "citizen"
    fees: tuple[FeeItem, ...] = ()
    currency: str = "EUR"
    designated_authority: str = ""
    intro: str = ""
    fim_id: str = ""
    fim_version: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    def elements(self) -> list[Field | Group]:
        return [item for step in self.steps for item in step.items]

    def find(self, element_id: str) -> Field | Group | None:
        """The element with this id anywhere in the form (ids are unique per scope)."""
        for item in _walk(self.elements()):
            if item.id == element_id:
                return item
        return None


def unresolved_codelists(form: Form) -> list[str]:
    """Select fields whose values are only referenced (an external code list), by id."""
    return [
        f"{item.id} ({item.codelist_ref})"
        for item in _walk(form.elements())
        if isinstance(item, Field) and item.kind == "select" and not item.options
    ]


def _walk(items: list[Field | Group] | tuple[Field | Group, ...]) -> list[Field | Group]:
    found: list[Field | Group] = []
    for item in items:
        found.append(item)
        if isinstance(item, Group):
            found.extend(_walk(item.items))
    return found


def scope_members(items: tuple[Field | Group, ...]) -> dict[str, Field | Group]:
    """Elements addressable by id in one scope: non-repeating groups are see-through."""
    members: dict[str, Field | Group] = {}
    for item in items:
        members[item.id] = item
        if isinstance(item, Group) and not item.repeats:
            members.update(scope_members(item.items))
    return members


def _fail(where: str, message: str) -> InvalidSourceFile:
    return InvalidSourceFile(message, field=where)


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _fail(where, f"„{value}“ ist keine Zahl.") from None


def _int(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).lstrip("-").isdigit():
        raise _fail(where, f"„{value}“ ist keine ganze Zahl.")
    return int(value)


class _Parser:
    def __init__(self, codelists: dict[str, Any]) -> None:
        self.codelists = codelists
        self.rules: dict[str, tuple[Rule, ...]] = {}

    def options(self, spec: dict[str, Any], where: str) -> tuple[Option, ...]:
        raw = spec.get("options")
        if raw is None and spec.get("codelist"):
            raw = self.codelists.get(spec["codelist"])
            if raw is None:
                raise _fail(where, f"Die Codeliste „{spec['codelist']}“ ist nicht definiert.")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise _fail(where, "Die Werte einer Auswahl müssen eine Liste sein.")
        options = []
        for entry in raw:
            if isinstance(entry, dict) and "code" in entry:
                options.append(Option(str(entry["code"]), str(entry.get("label", entry["code"]))))
            else:
                raise _fail(where, "Jeder Wert einer Auswahl braucht code und label.")
        codes = [o.code for o in options]
        if len(set(codes)) != len(codes):
            raise _fail(where, "Eine Auswahl enthält einen Code doppelt.")
        return tuple(options)

    def field(self, spec: dict[str, Any], where: str) -> Field:
        kind = spec.get("kind", "input")
        datatype = spec.get("datatype", "text")
        if kind not in KINDS:
            raise _fail(where, f"Unbekannte Feldart „{kind}“ (erlaubt: {', '.join(KINDS)}).")
        if datatype not in DATATYPES:
            raise _fail(where, f"Unbekannter Datentyp „{datatype}“.")
        options = self.options(spec, where)
        if kind == "select" and not options and not spec.get("codelist_ref"):
            raise _fail(where, "Ein Auswahlfeld braucht Werte (options oder codelist).")
        pattern = spec.get("pattern", "")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise _fail(where, f"Ungültiges Muster: {exc}") from None
        return Field(
            id=spec["id"],
            label=str(spec.get("label", spec["id"])),
            kind=kind,
            datatype=datatype,
            required=bool(spec.get("required", False)),
            help=str(spec.get("help", "")),
            options=options,
            min_length=_int(spec.get("min_length"), where),
            max_length=_int(spec.get("max_length"), where),
            min_value=_decimal(spec.get("min"), where),
            max_value=_decimal(spec.get("max"), where),
            pattern=pattern,
            content=str(spec.get("content", "")),
            value=spec.get("value"),
            prefill=str(spec.get("prefill", "")),
            widget=str(spec.get("widget", "")),
            accept=tuple(spec.get("accept", ())),
            fim_id=str(spec.get("fim_id", "")),
            codelist_ref=str(spec.get("codelist_ref", "")),
            autocomplete=str(spec.get("autocomplete", "")),
        )

    def items(self, raw: Any, where: str, seen: set[str]) -> tuple[Field | Group, ...]:
        if not isinstance(raw, list):
            raise _fail(where, "„items“ muss eine Liste sein.")
        items: list[Field | Group] = []
        for index, spec in enumerate(raw):
            here = f"{where}.items[{index}]"
            if not isinstance(spec, dict):
                raise _fail(here, "Ein Element muss ein Objekt sein.")
            element_id = spec.get("id")
            if not isinstance(element_id, str) or not ID_PATTERN.match(element_id):
                raise _fail(here, f"Ungültige oder fehlende id „{element_id}“ (a-z, 0-9, _).")
            here = f"{where}.{element_id}"
            if element_id in seen:
                raise _fail(here, f"Die id „{element_id}“ kommt in diesem Bereich doppelt vor.")
            seen.add(element_id)
            if spec.get("type", "field") == "group":
                items.append(self.group(spec, here, seen))
            elif spec.get("type", "field") == "field":
                items.append(self.field(spec, here))
            else:
                raise _fail(here, f"Unbekannter Elementtyp „{spec.get('type')}“.")
        return tuple(items)

    def group(self, spec: dict[str, Any], where: str, seen: set[str]) -> Group:
        minimum = _int(spec.get("min", 1), where)
        maximum = _int(spec.get("max", 1), where)
        assert minimum is not None and maximum is not None
        if minimum < 0 or maximum < 1 or minimum > maximum:
            raise _fail(where, f"Ungültige Anzahl {minimum}:{maximum}.")
        repeats = maximum != 1
        # a repeating group opens a new scope for ids; a plain group shares its parent's
        items = self.items(spec.get("items", []), where, set() if repeats else seen)
        group = Group(
            id=spec["id"],
            label=str(spec.get("label", spec["id"])),
            items=items,
            min=minimum,
            max=maximum,
            help=str(spec.get("help", "")),
            item_label=str(spec.get("item_label", "")),
            fim_id=str(spec.get("fim_id", "")),
        )
        if spec.get("rules"):
            scope = spec["id"] if repeats else ""
            members = scope_members(items) if repeats else None
            parsed = self.rule_list(spec["rules"], where, members)
            self.rules[scope] = self.rules.get(scope, ()) + parsed
        return group

    def rule_list(
        self, raw: Any, where: str, members: dict[str, Field | Group] | None
    ) -> tuple[Rule, ...]:
        if not isinstance(raw, list):
            raise _fail(where, "„rules“ muss eine Liste sein.")
        rules = []
        for index, spec in enumerate(raw):
            here = f"{where}.rules[{index}]"
            if not isinstance(spec, dict) or spec.get("type") not in RULE_TYPES:
                raise _fail(here, f"Unbekannte Regelart (erlaubt: {', '.join(RULE_TYPES)}).")
            target = spec.get("field") or (spec.get("fields") or [""])[0]
            if not target:
                raise _fail(here, "Eine Regel braucht „field“.")
            if spec["type"] == "compare" and spec.get("op") not in COMPARE_OPS:
                raise _fail(here, f"Unbekannter Vergleich „{spec.get('op')}“.")
            if spec["type"] in {"required_if", "visible_if"} and not isinstance(
                spec.get("when"), dict
            ):
                raise _fail(here, "Eine Bedingung („when“) fehlt.")
            rule = Rule(
                id=str(spec.get("id", f"r{index}")),
                type=spec["type"],
                field=target,
                message=str(spec.get("message", "")),
                when=spec.get("when"),
                min=spec.get("min"),
                max=spec.get("max"),
                op=str(spec.get("op", "")),
                right=spec.get("right"),
                fields=tuple(spec.get("fields", ())),
            )
            if members is not None:
                for name in {rule.field, *rule.fields, *_condition_fields(rule.when)}:
                    if name not in members:
                        raise _fail(here, f"Die Regel nennt das unbekannte Element „{name}“.")
            rules.append(rule)
        return tuple(rules)

    def fees(self, raw: Any) -> tuple[FeeItem, ...]:
        if raw is None:
            return ()
        items = raw.get("items", []) if isinstance(raw, dict) else None
        if not isinstance(items, list):
            raise _fail("fees", "„fees.items“ muss eine Liste sein.")
        fees = []
        for index, spec in enumerate(items):
            here = f"fees.items[{index}]"
            if not isinstance(spec, dict) or spec.get("type") not in FEE_TYPES:
                raise _fail(here, f"Unbekannte Gebührenart (erlaubt: {', '.join(FEE_TYPES)}).")
            ranges: list[tuple[Decimal | None, Decimal]] = []
            for entry in spec.get("ranges", []):
                amount = _decimal(entry.get("amount"), here)
                if amount is None:
                    raise _fail(here, "Jede Staffel braucht einen Betrag.")
                ranges.append((_decimal(entry.get("max"), here), amount))
            if spec["type"] in {"per_item", "range"} and not spec.get("field"):
                raise _fail(here, "Diese Gebührenart braucht „field“.")
            if spec["type"] == "range" and not ranges:
                raise _fail(here, "Eine Staffelgebühr braucht „ranges“.")
            fees.append(
                FeeItem(
                    type=spec["type"],
                    label=str(spec.get("label", "")),
                    amount=_decimal(spec.get("amount", 0), here) or Decimal(0),
                    field=str(spec.get("field", "")),
                    ranges=tuple(ranges),
                    when=spec.get("when"),
                )
            )
        return tuple(fees)


def _condition_fields(condition: dict[str, Any] | None) -> set[str]:
    if not condition:
        return set()
    names: set[str] = set()
    if "field" in condition:
        names.add(str(condition["field"]))
    for key in ("all", "any"):
        for part in condition.get(key, []):
            names |= _condition_fields(part)
    if "not" in condition:
        names |= _condition_fields(condition["not"])
    return names


def parse_form(data: Any) -> Form:
    """Check a definition and return it typed; InvalidSourceFile names the wrong element."""
    if not isinstance(data, dict):
        raise _fail("form", "Eine Formulardefinition muss ein JSON-Objekt sein.")
    form_id = data.get("id")
    if not isinstance(form_id, str) or not form_id:
        raise _fail("form.id", "Die Formulardefinition braucht eine id.")
    applicant = data.get("applicant", "citizen")
    if applicant not in APPLICANTS:
        raise _fail("form.applicant", f"Unbekannte antragstellende Art „{applicant}“.")
    codelists = data.get("codelists", {})
    if not isinstance(codelists, dict):
        raise _fail("form.codelists", "„codelists“ muss ein Objekt sein.")
    parser = _Parser(codelists)
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise _fail("form.steps", "Die Formulardefinition braucht mindestens einen Schritt.")
    seen: set[str] = set()
    steps = []
    step_ids: set[str] = set()
    for index, spec in enumerate(steps_raw):
        where = f"steps[{index}]"
        if not isinstance(spec, dict) or not spec.get("id") or not spec.get("title"):
            raise _fail(where, "Jeder Schritt braucht id und title.")
        if spec["id"] in step_ids:
            raise _fail(where, f"Der Schritt „{spec['id']}“ kommt doppelt vor.")
        step_ids.add(spec["id"])
        if spec.get("rules"):
            step_rules = parser.rule_list(spec["rules"], f"steps.{spec['id']}", None)
            parser.rules[""] = parser.rules.get("", ()) + step_rules
        steps.append(
            Step(
                id=str(spec["id"]),
                title=str(spec["title"]),
                items=parser.items(spec.get("items", []), f"steps.{spec['id']}", seen),
                intro=str(spec.get("intro", "")),
            )
        )
    top = scope_members(tuple(item for step in steps for item in step.items))
    form_rules = parser.rule_list(data.get("rules", []), "form", top)
    parser.rules[""] = parser.rules.get("", ()) + form_rules
    # rules declared in plain groups use the form's scope: check their names too
    for rule in parser.rules.get("", ()):
        for name in {rule.field, *rule.fields, *_condition_fields(rule.when)}:
            if name not in top:
                raise _fail(f"rules.{rule.id}", f"Die Regel nennt das unbekannte Element „{name}“.")
    fees_raw = data.get("fees")
    return Form(
        id=form_id,
        title=str(data.get("title", form_id)),
        steps=tuple(steps),
        rules=parser.rules,
        applicant=applicant,
        fees=parser.fees(fees_raw),
        currency=str((fees_raw or {}).get("currency", "EUR")),
        designated_authority=str(data.get("designated_authority", "")),
        intro=str(data.get("intro", "")),
        fim_id=str(data.get("fim_id", "")),
        fim_version=str(data.get("fim_version", "")),
    )
