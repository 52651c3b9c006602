"""Pure evaluation of form definitions: reading input, conditions, rules, fees.

Form data is JSON: each scope is an object from element id to value; a repeating group's
value is a list of such objects (one per row). Values are stored typed: text as str, date as
`YYYY-MM-DD`, time as `HH:MM`, datetime as `YYYY-MM-DDTHH:MM`, bool as true/false, num_int
as int, num and num_currency as a decimal string, file as an attachment reference object.

Errors are keyed by path (`personen.1.vorname`) with a German message for the person filling
in the form.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from verbund.applications.formschema import Field, Form, Group, Rule, scope_members

Data = dict[str, Any]
Errors = dict[str, str]

_RELATIVE_DATE = re.compile(r"^today(?:([+-])(\d+)([dmy]))?$")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class InputError(ValueError):
    """A value the person typed cannot be read as the field's type."""


# --- reading input ------------------------------------------------------------------------


def parse_decimal(raw: str) -> Decimal:
    """A number as Germans type it (`1.234,56`) or as machines do (`1234.56`)."""
    text = raw.strip().replace(" ", "").replace("€", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(_("Bitte eine Zahl eingeben, zum Beispiel 1234,56.")) from None
    if not value.is_finite():
        raise InputError(_("Bitte eine Zahl eingeben, zum Beispiel 1234,56."))
    return value


def parse_date(raw: str) -> datetime.date:
    text = raw.strip()
    german = _GERMAN_DATE.match(text)
    try:
        if german:
            day, month, year = (int(part) for part in german.groups())
            return datetime.date(year, month, day)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(_("Bitte ein gültiges Datum eingeben (TT.MM.JJJJ).")) from None


def read_input(field: Field, raw: str | None) -> Any:
    """The typed value of one submitted form input; None when empty; InputError if unreadable."""
    if field.datatype == "bool":
        if raw in (None, ""):
            return None
        if raw in ("true", "on", "ja", "1"):
            return True
        if raw in ("false", "nein", "0"):
            return False
        raise InputError(_("Bitte Ja oder Nein wählen."))
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    datatype = field.datatype
    if datatype in {"text", "text_latin"}:
        return raw.strip()
    if datatype == "date":
        return parse_date(text).isoformat()
    if datatype == "time":
        match = _TIME.match(text)
        if not match:
            raise InputError(_("Bitte eine Uhrzeit eingeben (HH:MM)."))
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    if datatype == "datetime":
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise InputError(_("Bitte Datum und Uhrzeit eingeben.")) from None
        return moment.replace(second=0, microsecond=0, tzinfo=None).isoformat(timespec="minutes")
    if datatype == "num_int":
        value = parse_decimal(text)
        if value != value.to_integral_value():
            raise InputError(_("Bitte eine ganze Zahl eingeben."))
        return int(value)
    if datatype == "num":
        return str(parse_decimal(text).normalize())
    if datatype == "num_currency":
        value = parse_decimal(text)
        if value != value.quantize(Decimal("0.01")):
            raise InputError(_("Bitte einen Betrag mit höchstens zwei Nachkommastellen eingeben."))
        return str(value.quantize(Decimal("0.01")))
    raise InputError(_("Dieses Feld kann nicht eingegeben werden."))


def display_value(field: Field, value: Any) -> str:
    """A stored value as a person reads it on the summary and the receipt."""
    if value is None or value == "":
        return "–"
    if field.options:
        for option in field.options:
            if option.code == str(value):
                return option.label
    if field.datatype == "bool":
        return _("Ja") if value else _("Nein")
    if field.datatype == "date":
        return datetime.date.fromisoformat(value).strftime("%d.%m.%Y")
    if field.datatype == "datetime":
        return datetime.datetime.fromisoformat(value).strftime("%d.%m.%Y %H:%M")
    if field.datatype == "num_currency":
        return format_money(Decimal(value))
    if field.datatype == "num":
        return str(value).replace(".", ",")
    if field.datatype == "file" and isinstance(value, dict):
        return str(value.get("filename", ""))
    return str(value)


def format_money(amount: Decimal, currency: str = "EUR") -> str:
    text = f"{amount.quantize(Decimal('0.01')):,.2f}"
    text = text.replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{text} €" if currency == "EUR" else f"{text} {currency}"


# --- conditions and visibility ------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where names are looked up: the row of a repeating group, then the form's top level."""

    data: Mapping[str, Any]
    members: Mapping[str, Field | Group]
    top: Mapping[str, Any]
    rules: tuple[Rule, ...]

    def lookup(self, name: str) -> Any:
        if name in self.members:
            return self.data.get(name)
        return self.top.get(name)


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def condition_holds(condition: Mapping[str, Any] | None, scope: Scope) -> bool:
    """Conditions: {field, equals|not_equals|in|filled|min|max}, {all: []}, {any: []}, {not: c}."""
    if not condition:
        return True
    if "all" in condition:
        return all(condition_holds(part, scope) for part in condition["all"])
    if "any" in condition:
        return any(condition_holds(part, scope) for part in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], scope)
    value = scope.lookup(str(condition.get("field", "")))
    if isinstance(value, list):
        value_count: Any = len(value)
    else:
        value_count = value
    if "equals" in condition:
        return value == condition["equals"] or (
            value is not None and str(value) == str(condition["equals"])
        )
    if "not_equals" in condition:
        return str(value) != str(condition["not_equals"])
    if "in" in condition:
        return str(value) in {str(v) for v in condition["in"]}
    if "filled" in condition:
        return _filled(value) == bool(condition["filled"])
    if "min" in condition or "max" in condition:
        try:
            number = Decimal(str(value_count))
        except (InvalidOperation, ValueError):
            return False
        if "min" in condition and number < Decimal(str(condition["min"])):
            return False
        return not ("max" in condition and number > Decimal(str(condition["max"])))
    return _filled(value)


def is_visible(element_id: str, scope: Scope) -> bool:
    return all(
        condition_holds(rule.when, scope)
        for rule in scope.rules
        if rule.type == "visible_if" and rule.field == element_id
    )


def is_required(field: Field, scope: Scope) -> bool:
    if field.required:
        return True
    return any(
        condition_holds(rule.when, scope)
        for rule in scope.rules
        if rule.type == "required_if" and rule.field == field.id
    )


# --- dates ----------------------------------------------------------------------------------


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def resolve_date(expression: Any, scope: Scope, today: datetime.date) -> datetime.date | None:
    """`today`, `today-18y`, `today+3m`, `today-30d`, an ISO date, or {"field": name}."""
    if expression is None:
        return None
    if isinstance(expression, dict):
        value = scope.lookup(str(expression.get("field", "")))
        if not value:
            return None
        try:
            day = datetime.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
        offset = int(expression.get("days", 0))
        return day + datetime.timedelta(days=offset)
    match = _RELATIVE_DATE.match(str(expression))
    if match:
        sign, amount, unit = match.groups()
        if not sign:
            return today
        count = int(amount) * (1 if sign == "+" else -1)
        if unit == "d":
            return today + datetime.timedelta(days=count)
        return _add_months(today, count * (12 if unit == "y" else 1))
    return datetime.date.fromisoformat(str(expression))


# --- validation -----------------------------------------------------------------------------


def _check_field(field: Field, value: Any, required: bool) -> str | None:
    unchecked = field.widget == "checkbox" and required and value is False
    if not _filled(value) or unchecked:
        if required and field.kind in {"input", "select"}:
            if field.datatype == "bool" and field.widget == "checkbox":
                return _("Bitte bestätigen Sie „%(label)s“.") % {"label": field.label}
            if field.datatype == "file":
                return _("Bitte laden Sie „%(label)s“ hoch.") % {"label": field.label}
            return _("Bitte füllen Sie „%(label)s“ aus.") % {"label": field.label}
        return None
    if field.options and str(value) not in {o.code for o in field.options}:
        return _("Bitte einen der angebotenen Werte wählen.")
    if field.datatype in {"text", "text_latin"}:
        text = str(value)
        if field.min_length is not None and len(text) < field.min_length:
            return _("Bitte mindestens %(n)d Zeichen eingeben.") % {"n": field.min_length}
        if field.max_length is not None and len(text) > field.max_length:
            return _("Bitte höchstens %(n)d Zeichen eingeben.") % {"n": field.max_length}
        if field.pattern and not re.fullmatch(field.pattern, text):
            # The message names the field and what it expects (WCAG 3.3.1, 3.3.3).
            if field.help:
                return _("„%(label)s“: Bitte geben Sie %(expected)s ein.") % {
                    "label": field.label,
                    "expected": field.help,
                }
            return _("„%(label)s“ hat nicht das erwartete Format.") % {"label": field.label}
    if field.datatype in {"num", "num_int", "num_currency"}:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return _("Bitte eine Zahl eingeben, zum Beispiel 1234,56.")
        if field.min_value is not None and number < field.min_value:
            return _("Der Wert muss mindestens %(n)s betragen.") % {
                "n": str(field.min_value).replace(".", ",")
            }
        if field.max_value is not None and number > field.max_value:
            return _("Der Wert darf höchstens %(n)s betragen.") % {
                "n": str(field.max_value).replace(".", ",")
            }
    if field.datatype == "file" and not (isinstance(value, dict) and value.get("attachment")):
        return _("Die Datei fehlt.")
    return None


def _check_rule(rule: Rule, scope: Scope, today: datetime.date) -> str | None:
    if rule.type == "date_range":
        value = scope.lookup(rule.field)
        if not value:
            return None
        day = datetime.date.fromisoformat(str(value)[:10])
        earliest = resolve_date(rule.min, scope, today)
        latest = resolve_date(rule.max, scope, today)
        if earliest is not None and day < earliest:
            return rule.message or _("Das Datum darf nicht vor dem %(d)s liegen.") % {
                "d": earliest.strftime("%d.%m.%Y")
            }
        if latest is not None and day > latest:
            return rule.message or _("Das Datum darf nicht nach dem %(d)s liegen.") % {
                "d": latest.strftime("%d.%m.%Y")
            }
        return None
    if rule.type == "compare":
        left = scope.lookup(rule.field)
        if isinstance(rule.right, dict) and "field" in rule.right:
            right = scope.lookup(str(rule.right["field"]))
        elif isinstance(rule.right, dict):
            right = rule.right.get("value")
        else:
            right = rule.right
        if not _filled(left) or not _filled(right):
            return None
        if not _compare(left, rule.op, right):
            return rule.message or _("Die Angabe passt nicht zu den übrigen Angaben.")
        return None
    if rule.type == "one_of_required":
        names = rule.fields or (rule.field,)
        if not any(_filled(scope.lookup(name)) for name in names):
            return rule.message or _("Bitte mindestens eine dieser Angaben machen.")
    return None


def _compare(left: Any, op: str, right: Any) -> bool:
    try:
        a: Any = Decimal(str(left))
        b: Any = Decimal(str(right))
    except InvalidOperation:
        a, b = str(left), str(right)  # ISO dates and times compare as text
    return {
        "<": a < b,
        "<=": a <= b,
        "==": a == b,
        "!=": a != b,
        ">=": a >= b,
        ">": a > b,
    }[op]


@dataclass
class _Walker:
    form: Form
    top: Mapping[str, Any]
    today: datetime.date
    errors: Errors

    def scope(self, data: Mapping[str, Any], items: tuple[Field | Group, ...], key: str) -> Scope:
        return Scope(
            data=data,
            members=scope_members(items),
            top=self.top,
            rules=self.form.rules.get(key, ()),
        )

    def items(self, items: tuple[Field | Group, ...], scope: Scope, prefix: str) -> None:
        for item in items:
            if not is_visible(item.id, scope):
                continue
            path = f"{prefix}{item.id}"
            if isinstance(item, Field):
                if not item.carries_value:
                    continue
                message = _check_field(item, scope.data.get(item.id), is_required(item, scope))
                if message:
                    self.errors.setdefault(path, message)
            elif item.repeats:
                rows = scope.data.get(item.id) or []
                if not isinstance(rows, list):
                    self.errors.setdefault(path, _("Ungültige Angaben."))
                    continue
                if len(rows) < item.min:
                    self.errors.setdefault(
                        path,
                        _("Bitte mindestens %(n)d Einträge für „%(label)s“ angeben.")
                        % {"n": item.min, "label": item.label},
                    )
                if len(rows) > item.max:
                    self.errors.setdefault(
                        path,
                        _("Höchstens %(n)d Einträge für „%(label)s“ sind möglich.")
                        % {"n": item.max, "label": item.label},
                    )
                for index, row in enumerate(rows):
                    row_scope = self.scope(
                        row if isinstance(row, dict) else {}, item.items, item.id
                    )
                    row_prefix = f"{path}.{index}."
                    self.items(item.items, row_scope, row_prefix)
                    self.rules(row_scope, row_prefix, item.items)
            else:
                self.items(item.items, scope, prefix)

    def rules(self, scope: Scope, prefix: str, items: tuple[Field | Group, ...]) -> None:
        present = scope_members(items)
        for rule in scope.rules:
            if rule.type in {"visible_if", "required_if"} or rule.field not in present:
                continue
            if not is_visible(rule.field, scope):
                continue
            message = _check_rule(rule, scope, self.today)
            if message:
                self.errors.setdefault(f"{prefix}{rule.field}", message)


def validate(
    form: Form,
    data: Mapping[str, Any],
    *,
    step_ids: tuple[str, ...] | None = None,
    today: datetime.date | None = None,
) -> Errors:
    """Errors of the whole form, or of the given steps only (rules about their elements)."""
    errors: Errors = {}
    walker = _Walker(form=form, top=data, today=today or datetime.date.today(), errors=errors)
    top_scope = walker.scope(data, tuple(form.elements()), "")
    for step in form.steps:
        if step_ids is not None and step.id not in step_ids:
            continue
        walker.items(step.items, top_scope, "")
        walker.rules(top_scope, "", step.items)
    return errors


def clean(form: Form, data: Mapping[str, Any]) -> Data:
    """The data to submit: only visible elements that carry a value, in definition order."""

    def walk(items: tuple[Field | Group, ...], scope: Scope, out: Data) -> None:
        for item in items:
            if not is_visible(item.id, scope):
                continue
            if isinstance(item, Field):
                if item.carries_value and _filled(scope.data.get(item.id)):
                    out[item.id] = scope.data[item.id]
            elif item.repeats:
                rows = []
                for row in scope.data.get(item.id) or []:
                    row_scope = Scope(
                        data=row,
                        members=scope_members(item.items),
                        top=data,
                        rules=form.rules.get(item.id, ()),
                    )
                    row_out: Data = {}
                    walk(item.items, row_scope, row_out)
                    rows.append(row_out)
                out[item.id] = rows
            else:
                walk(item.items, scope, out)

    result: Data = {}
    top = Scope(
        data=data,
        members=scope_members(tuple(form.elements())),
        top=data,
        rules=form.rules.get("", ()),
    )
    for step in form.steps:
        walk(step.items, top, result)
    return result


def attachment_refs(form: Form, data: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, reference) of every file field that holds an attachment."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(items: tuple[Field | Group, ...], scope_data: Mapping[str, Any], prefix: str) -> None:
        for item in items:
            if isinstance(item, Field):
                value = scope_data.get(item.id)
                if item.datatype == "file" and isinstance(value, dict) and value.get("attachment"):
                    found.append((f"{prefix}{item.id}", value))
            elif item.repeats:
                for index, row in enumerate(scope_data.get(item.id) or []):
                    walk(item.items, row, f"{prefix}{item.id}.{index}.")
            else:
                walk(item.items, scope_data, prefix)

    walk(tuple(form.elements()), data, "")
    return found


# --- fees -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Fee:
    lines: tuple[FeeLine, ...]
    total: Decimal
    currency: str = "EUR"

    @property
    def due(self) -> bool:
        return self.total > 0


def calculate_fee(form: Form, data: Mapping[str, Any]) -> Fee:
    """Fixed fees, fees per item (rows of a group or a number field) and graded fees."""
    scope = Scope(
        data=data,
        members=scope_members(tuple(form.elements())),
        top=data,
        rules=form.rules.get("", ()),
    )
    lines = []
    for item in form.fees:
        if item.when and not condition_holds(item.when, scope):
            continue
        if item.type == "fixed":
            amount = item.amount
        else:
            value = scope.lookup(item.field)
            try:
                quantity = (
                    Decimal(len(value)) if isinstance(value, list) else Decimal(str(value or 0))
                )
            except InvalidOperation:
                quantity = Decimal(0)
            if item.type == "per_item":
                amount = item.amount * quantity
            else:
                amount = item.ranges[-1][1]
                for upper, graded in item.ranges:
                    if upper is None or quantity <= upper:
                        amount = graded
                        break
        if amount:
            amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            lines.append(FeeLine(label=item.label, amount=amount))
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return Fee(lines=tuple(lines), total=total, currency=form.currency)
