"""Between a form definition and HTML: read a posted step, describe a step for templates,
summarise the data. Works without JavaScript: repeating groups grow and shrink by buttons."""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from verbund.applications.formschema import Field, Form, Group, Step, scope_members
from verbund.applications.rules import InputError, Scope, display_value, read_input

Data = dict[str, Any]


def html_name(path: str) -> str:
    return "f-" + path.replace(".", "-")


def _scope(form: Form, data: Data, top: Data, items: tuple[Field | Group, ...], key: str) -> Scope:
    return Scope(data=data, members=scope_members(items), top=top, rules=form.rules.get(key, ()))


@dataclass
class Upload:
    path: str
    field: Field
    file: Any  # an UploadedFile


@dataclass
class StepInput:
    data: Data
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # attachment ids no longer referenced


def read_step(form: Form, step: Step, post: Any, files: Any, data: Data, action: str) -> StepInput:
    """The draft's data with this step's posted values; unreadable input becomes an error
    (and its raw text is kept to show it again). `action` may add or remove a group row."""
    result = StepInput(data=copy.deepcopy(data))

    def walk(items: tuple[Field | Group, ...], target: Data, prefix: str) -> None:
        for item in items:
            path = f"{prefix}{item.id}"
            if isinstance(item, Field):
                if not item.takes_input:
                    continue
                name = html_name(path)
                if item.datatype == "file":
                    upload = files.get(name)
                    if upload is not None and upload.size:
                        result.uploads.append(Upload(path=path, field=item, file=upload))
                    if post.get(f"remove-{name}") and isinstance(target.get(item.id), dict):
                        result.removed.append(str(target[item.id].get("attachment")))
                        target.pop(item.id, None)
                    continue
                raw = post.get(name)
                if item.datatype == "bool" and item.widget == "checkbox":
                    raw = "true" if raw else "false"
                try:
                    value = read_input(item, raw)
                except InputError as exc:
                    result.errors[path] = str(exc)
                    result.raw[path] = raw or ""
                    continue
                if value is None:
                    target.pop(item.id, None)
                else:
                    target[item.id] = value
            elif item.repeats:
                rows = target.get(item.id)
                if not isinstance(rows, list):
                    rows = []
                try:
                    count = int(post.get(f"n-{html_name(path)}", len(rows)))
                except ValueError:
                    count = len(rows)
                count = max(0, min(count, item.max))
                rows = [rows[i] if i < len(rows) else {} for i in range(count)]
                for index, row in enumerate(rows):
                    walk(item.items, row, f"{path}.{index}.")
                if action == f"add:{path}" and len(rows) < item.max:
                    rows.append({})
                elif action.startswith(f"remove:{path}:"):
                    index = int(action.rsplit(":", 1)[1])
                    if 0 <= index < len(rows):
                        for value in rows[index].values():
                            if isinstance(value, dict) and value.get("attachment"):
                                result.removed.append(str(value["attachment"]))
                        del rows[index]
                target[item.id] = rows
            else:
                walk(item.items, target, prefix)

    walk(step.items, result.data, "")
    return result


def _condition_hint(form: Form, scope_key: str, element_id: str) -> str:
    for rule in form.rules.get(scope_key, ()):
        if rule.type == "visible_if" and rule.field == element_id:
            return rule.message or _("Nur ausfüllen, wenn es auf Sie zutrifft.")
    return ""


# The purpose of a field taken from the Servicekonto, as an HTML `autocomplete` token
# (WCAG 1.3.5): browsers and assistive tools then fill or mark the applicant's own data.
AUTOCOMPLETE_BY_PREFILL = {
    "profile.given_name": "given-name",
    "profile.family_name": "family-name",
    "profile.street": "street-address",
    "profile.postal_code": "postal-code",
    "profile.city": "address-level2",
    "profile.email": "email",
    "profile.phone": "tel",
    "profile.birth_date": "bday",
}


def _autocomplete(item: Field, path: str) -> str:
    """The field's `autocomplete` token; in repeated groups only in the first row, which the
    profile prefills (later rows are about other people)."""
    if any(part.isdigit() and part != "0" for part in path.split(".")):
        return ""
    return item.autocomplete or AUTOCOMPLETE_BY_PREFILL.get(item.prefill, "")


def describe_step(
    form: Form,
    step: Step,
    data: Data,
    errors: dict[str, str],
    raw: dict[str, str],
    prefilled: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Template nodes for a step: fields with their values, errors and choices; groups with
    their rows. `prefilled` (values taken from the Servicekonto, by path) marks fields whose
    value still is the one taken over."""
    describer = _StepDescriber(form, data, errors, raw, prefilled or {})
    top = _scope(form, data, data, tuple(form.elements()), "")
    return describer.walk(step.items, top, "", "")


_INPUT_TYPES = {"date": "date", "time": "time", "datetime": "datetime-local", "num_int": "text"}


@dataclass(frozen=True)
class _StepDescriber:
    """What the nodes of one step are built from: the form, the entered data, the errors
    and raw inputs of the last post, and the values taken from the Servicekonto."""

    form: Form
    data: Data
    errors: dict[str, str]
    raw: dict[str, str]
    prefilled: dict[str, Any]

    def walk(
        self, items: tuple[Field | Group, ...], scope: Scope, prefix: str, scope_key: str
    ) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        for item in items:
            path = f"{prefix}{item.id}"
            if isinstance(item, Field):
                if item.kind != "hidden":
                    nodes.append(self.field_node(item, scope, path, scope_key))
            elif item.repeats:
                nodes.append(self.repeat_node(item, scope, path))
            else:
                nodes.append(
                    {
                        "element": "group",
                        "group": item,
                        "children": self.walk(item.items, scope, prefix, scope_key),
                    }
                )
        return nodes

    def field_node(self, item: Field, scope: Scope, path: str, scope_key: str) -> dict[str, Any]:
        value = scope.data.get(item.id)
        shown = self.raw.get(path)
        if shown is None:
            shown = "" if value is None else value
        decimal = item.datatype in {"num", "num_currency"}
        if decimal and isinstance(shown, str) and path not in self.raw:
            shown = shown.replace(".", ",")
        required = item.required or any(
            r.type == "required_if" and r.field == item.id
            for r in self.form.rules.get(scope_key, ())
        )
        return {
            "element": "field",
            "field": item,
            "path": path,
            "name": html_name(path),
            "id": "id-" + html_name(path),
            "value": shown,
            "display": display_value(item, value) if item.kind == "locked" else "",
            "error": self.errors.get(path, ""),
            "required": item.required,
            "conditional_required": required and not item.required,
            "hint": _condition_hint(self.form, scope_key, item.id),
            "input_type": _INPUT_TYPES.get(item.datatype, "text"),
            "inputmode": "decimal"
            if decimal
            else ("numeric" if item.datatype == "num_int" else ""),
            "radios": item.kind == "select" and len(item.options) <= 5,
            "from_profile": path not in self.raw and still_prefilled(self.prefilled, path, value),
            "autocomplete": _autocomplete(item, path),
        }

    def repeat_node(self, item: Group, scope: Scope, path: str) -> dict[str, Any]:
        rows = scope.data.get(item.id) or []
        count = max(len(rows), item.min)
        row_nodes = []
        for index in range(count):
            row = rows[index] if index < len(rows) else {}
            row_scope = _scope(self.form, row, self.data, item.items, item.id)
            row_nodes.append(
                {
                    "index": index,
                    "number": index + 1,
                    "children": self.walk(item.items, row_scope, f"{path}.{index}.", item.id),
                    "removable": count > item.min,
                    "remove_action": f"remove:{path}:{index}",
                }
            )
        return {
            "element": "repeat",
            "group": item,
            "path": path,
            "name": html_name(path),
            "id": "id-" + html_name(path),
            "rows": row_nodes,
            "count": count,
            "can_add": count < item.max,
            "add_action": f"add:{path}",
            "error": self.errors.get(path, ""),
            "item_label": item.item_label or item.label,
        }


def summarise(
    form: Form, data: Data, prefilled: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Sections of the summary page (and the receipt): step title, then label, value and
    whether the value is still the one taken from the Servicekonto."""
    prefilled = prefilled or {}

    def walk(
        items: tuple[Field | Group, ...],
        scope_data: Data,
        out: list[tuple[str, str, bool]],
        prefix: str,
    ) -> None:
        for item in items:
            if isinstance(item, Field):
                if item.carries_value and item.kind != "hidden" and item.id in scope_data:
                    value = scope_data.get(item.id)
                    out.append(
                        (
                            item.label,
                            display_value(item, value),
                            still_prefilled(prefilled, prefix + item.id, value),
                        )
                    )
            elif item.repeats:
                for index, row in enumerate(scope_data.get(item.id) or []):
                    out.append((f"{item.item_label or item.label} {index + 1}", "", False))
                    walk(item.items, row, out, f"{prefix}{item.id}.{index}.")
            else:
                walk(item.items, scope_data, out, prefix)

    sections = []
    for index, step in enumerate(form.steps):
        rows: list[tuple[str, str, bool]] = []
        walk(step.items, data, rows, "")
        sections.append({"index": index, "title": step.title, "rows": rows})
    return sections


def prefill(form: Form, context: dict[str, str]) -> Data:
    """Values of locked and hidden fields taken from what the platform knows (the place, the
    applicant authority) or from the definition."""
    values: Data = {}
    for item in scope_members(tuple(form.elements())).values():
        if isinstance(item, Field) and item.kind in {"locked", "hidden", "input"}:
            if item.prefill and context.get(item.prefill):
                values[item.id] = context[item.prefill]
            elif item.value is not None:
                values[item.id] = item.value
    return values


PROFILE_PREFIX = "profile."


def profile_fields(form: Form) -> list[str]:
    """The Servicekonto fields a form may be prefilled from (`"prefill": "profile.<name>"`);
    fields in a repeating group fill its first row (usually the applicant)."""
    names: list[str] = []
    for item in form.elements():
        members = item.items if isinstance(item, Group) else (item,)
        for member in members:
            if isinstance(member, Field) and member.prefill.startswith(PROFILE_PREFIX):
                name = member.prefill.removeprefix(PROFILE_PREFIX)
                if name not in names:
                    names.append(name)
    return names


def profile_prefill(form: Form, values: dict[str, Any]) -> tuple[Data, dict[str, Any]]:
    """Draft data from released profile values, and the same values by path (`familienname`,
    `personen.0.vornamen`), so that the form and summary can mark what came from the
    Servicekonto."""
    data: Data = {}
    paths: dict[str, Any] = {}

    def value_for(field: Field) -> Any:
        value = values.get(field.prefill.removeprefix(PROFILE_PREFIX))
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    for item in form.elements():
        if isinstance(item, Field) and item.prefill.startswith(PROFILE_PREFIX):
            value = value_for(item)
            if value:
                data[item.id] = value
                paths[item.id] = value
        elif isinstance(item, Group):
            row: Data = {}
            for member in item.items:
                if isinstance(member, Field) and member.prefill.startswith(PROFILE_PREFIX):
                    value = value_for(member)
                    if value:
                        row[member.id] = value
                        key = f"{item.id}.0.{member.id}" if item.repeats else member.id
                        paths[key] = value
            if row and item.repeats:
                data[item.id] = [row]
            elif row:
                data.update(row)
    return data, paths


def still_prefilled(prefilled: dict[str, Any], path: str, value: Any) -> bool:
    """Whether the value at `path` is still the one taken from the Servicekonto."""
    return path in prefilled and prefilled[path] == value and value not in (None, "")
