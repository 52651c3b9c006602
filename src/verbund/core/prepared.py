"""Statements on a hot path whose SQL Django compiles once per process and database
(decision 0034, addendum "prepared statements").

Django turns a QuerySet into SQL anew every time it is evaluated. For a read with joins,
`only()`, an annotation and a row lock that costs more than ten times running it (2.2 ms
against 0.18 ms on SQLite, for the submission's completion). A prepared statement is written
as an ordinary QuerySet of a few parameters; it is compiled once and then only executed, by
each thread on its own connection (the kept compiler only describes the columns and converts
values; it never uses a connection's state):

- `Prepared`: its rows become what iterating the QuerySet would give, model instances with
  their `select_related` objects and annotations, or the converted values of
  `values_list()`. Django builds those from the compiler's description of the columns
  (`select`, `klass_info`, `annotation_col_map`) exactly as `ModelIterable` does.
- `PreparedUpdate`: `QuerySet.update()` of a fixed list of fields with plain values, each
  prepared for the database by its field as `update()` prepares it.
- `PreparedInsert`: `bulk_create()` of objects with plain values, compiled per row count.

The tests compare each prepared statement with the QuerySet's own result, so a Django
upgrade that changes these internals fails there and not in production.
"""

from __future__ import annotations

import copy as copy_module
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, Generic, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet, Value
from django.db.models.constants import OnConflict
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler, SQLInsertCompiler
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)
Build = Callable[..., QuerySet[M, Any]]


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    positions: tuple[int, ...]  # each parameter's position in params
    locks: bool


class _Statement(Generic[M]):
    """`build(*values)` returns the QuerySet for values of `params` (the model fields the
    values are compared with)."""

    def __init__(self, build: Build[M], *, params: Sequence[Field[Any, Any]]) -> None:
        self._build = build
        self._params = tuple(params)
        self._compiled: dict[str, _Compiled] = {}  # by database alias

    def _execute(self, values: tuple[Any, ...], using: str, head: list[Any] | None = None) -> Any:
        connection = connections[using]
        compiled = self._ensure(connection, using)
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        if len(values) != len(self._params):
            raise TypeError(f"{len(self._params)} values needed, {len(values)} given")
        params = list(compiled.params)
        for position, field, value in zip(compiled.positions, self._params, values, strict=True):
            params[position] = field.get_db_prep_value(value, connection, prepared=False)
        if head:
            params[: len(head)] = head
        cursor = connection.cursor()
        try:
            cursor.execute(compiled.sql, params)
        except BaseException:
            cursor.close()
            raise
        return compiled, cursor

    def _ensure(self, connection: BaseDatabaseWrapper, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(connection, using)
        return compiled

    def _compile(self, connection: BaseDatabaseWrapper, using: str) -> _Compiled:
        markers = [_marker_for(field) for field in self._params]
        queryset = self._build(*markers)
        compiler, (sql, params) = self._as_sql(queryset, using)
        positions = []
        for field, marker in zip(self._params, markers, strict=True):
            prepared = field.get_db_prep_value(marker, connection, prepared=False)
            found = [i for i, p in enumerate(params) if p == prepared]
            if len(found) != 1:
                raise ValueError(f"a parameter occurs {len(found)} times in the query")
            positions.append(found[0])
        locks = bool(queryset.query.select_for_update)
        return _Compiled(compiler, sql, tuple(params), tuple(positions), locks)

    def _as_sql(self, queryset: QuerySet[M, Any], using: str) -> tuple[SQLCompiler, Any]:
        if not queryset.query.is_sliced:
            queryset = queryset[:1]
        compiler = queryset.query.get_compiler(using=using)
        return compiler, compiler.as_sql()


class Prepared(_Statement[M]):
    """A read: `instance(*values)` and `row(*values)` give the QuerySet's first row."""

    def instance(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The first model instance, as `build(*values).first()` would give it."""
        compiled, cursor = self._execute(values, using)
        with cursor:
            row = cursor.fetchone()
        if row is None:
            return None
        compiler = compiled.compiler
        (converted,) = compiler.results_iter([[row]])
        klass_info = compiler.klass_info
        assert klass_info is not None, "instance() needs a QuerySet of model instances"
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in compiler.select[start:end]]
        obj: M = klass_info["model"].from_db(using, names, converted[start:end])
        # (django-stubs describe Django 6's signature; 5.2 takes these three)
        populators = get_related_populators(klass_info, compiler.select, using)  # type: ignore[call-arg]
        for populator in populators:
            populator.populate(converted, obj)
        for name, position in (compiler.annotation_col_map or {}).items():
            setattr(obj, name, converted[position])
        return obj

    def row(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> tuple[Any, ...] | None:
        """The first row of a `values_list()` QuerySet, its values converted."""
        compiled, cursor = self._execute(values, using)
        with cursor:
            row = cursor.fetchone()
        if row is None:
            return None
        (converted,) = compiled.compiler.results_iter([[row]])
        return tuple(converted[: compiled.compiler.col_count])


class PreparedUpdate(_Statement[M]):
    """`update(changes, *values)` runs `build(*values).update(**changes)` for the fixed
    `fields`, with plain values (no expressions), and returns the number of rows."""

    def __init__(
        self, build: Build[M], *, params: Sequence[Field[Any, Any]], fields: Sequence[str]
    ) -> None:
        super().__init__(build, params=params)
        self._fields = tuple(fields)
        self._targets: list[Field[Any, Any]] = []  # the fields, in the UPDATE's order

    def update(
        self, changes: Mapping[str, Any], *values: Any, using: str = DEFAULT_DB_ALIAS
    ) -> int:
        if set(changes) != set(self._fields):
            raise ValueError("the changes name other fields than the prepared ones")
        connection = connections[using]
        self._ensure(connection, using)
        head = [
            field.get_db_prep_save(changes[field.name], connection=connection)
            for field in self._targets
        ]
        _compiled, cursor = self._execute(values, using, head)
        with cursor:
            return int(cursor.rowcount)

    def _as_sql(self, queryset: QuerySet[M, Any], using: str) -> tuple[SQLCompiler, Any]:
        query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
        targets = [cast(Field[Any, Any], queryset.model._meta.get_field(n)) for n in self._fields]
        for field in targets:
            if getattr(field, "get_placeholder", None) is not None:
                raise ValueError(f"{field.name}: a field with its own placeholder is not supported")
        # a stand-in for each value, compiled to one parameter ("%s") as a plain value is
        # (None would be written as NULL); the values' parameters come first, in order
        query.add_update_values({name: Value(0) for name in self._fields})
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if len(params) < len(targets) or any(p != 0 for p in params[: len(targets)]):
            raise ValueError("the UPDATE's values are not its first parameters")
        self._targets = targets
        return compiler, (sql, params)


_INTEGERS = ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField")


def _marker_for(field: Field[Any, Any]) -> Any:
    """A value of the field's type that no real parameter of the query equals."""
    if field.get_internal_type() == "UUIDField":
        return uuid.uuid4()
    if field.get_internal_type() in ("CharField", "TextField", "SlugField"):
        return f"prepared-{uuid.uuid4()}"
    if field.get_internal_type() in _INTEGERS:
        # negative and far from any constant a query holds (True is 1)
        return -(2**40 + uuid.uuid4().int % 2**40)
    raise TypeError(f"no marker for a {field.get_internal_type()}")


class PreparedInsert(Generic[M]):
    """`insert(objs)` does what `bulk_create(objs)` does for objects of plain values, the
    INSERT compiled once per database and number of rows: the objects get their defaults,
    their primary key (from RETURNING) and the state of saved objects. One INSERT: the
    database must return the rows of a multi-row INSERT (SQLite ≥ 3.35, PostgreSQL).

    `computed` names fields whose value the database computes in the same statement, each
    as `(build, params)`: `build(*values)` returns the expression (a `Subquery`) for values
    of the model fields `params`, as for `Prepared`; `insert(objs, computed={name: values})`
    then writes it for one row. The object's attribute for such a field is left as it was:
    only the caller knows what the expression should have given.

    `ignore_conflicts` skips a row that a unique constraint refuses (as `bulk_create` with
    `ignore_conflicts`); `insert` returns the number of rows written either way."""

    def __init__(
        self,
        model: type[M],
        *,
        computed: Mapping[str, tuple[Callable[..., Any], Sequence[Field[Any, Any]]]] | None = None,
        ignore_conflicts: bool = False,
    ) -> None:
        self._model = model
        meta = model._meta
        self._auto = meta.auto_field is not None and meta.pk is meta.auto_field
        self._fields = [
            f
            for f in meta.concrete_fields
            if not getattr(f, "generated", False) and not (self._auto and f is meta.pk)
        ]
        self._computed = {
            cast(Field[Any, Any], meta.get_field(name)).attname: (build, tuple(params))
            for name, (build, params) in (computed or {}).items()
        }
        self._by_name = {
            cast(Field[Any, Any], meta.get_field(name)).attname: name for name in computed or {}
        }
        self._ignore_conflicts = ignore_conflicts
        # A skipped row returns nothing, which Django's compiler does not expect on SQLite.
        self._returning = (
            list(meta.db_returning_fields) if self._auto and not ignore_conflicts else []
        )
        # by database alias and number of rows
        self._compiled: dict[tuple[str, int], _CompiledInsert] = {}

    def insert(
        self,
        objs: Sequence[M],
        *,
        computed: Mapping[str, Sequence[Any]] | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> int:
        if not objs:
            return 0
        if set(computed or {}) != set(self._by_name.values()):
            raise ValueError("the computed values name other fields than the prepared ones")
        if self._computed and len(objs) != 1:
            raise ValueError("a computed field is prepared for one row at a time")
        connection = connections[using]
        pk = self._model._meta.pk
        assert pk is not None
        for obj in objs:
            if obj.pk is None and not self._auto:
                obj.pk = pk.get_default()
            # as bulk_create: an unsaved related object is refused, not written as NULL
            obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        compiled = self._compiled.get((using, len(objs)))
        if compiled is None:
            compiled = self._compiled[using, len(objs)] = self._compile(objs, connection, using)
        compiler = compiled.compiler
        value_rows = [
            [
                compiler.prepare_value(field, compiler.pre_save_val(field, obj))
                for field in self._fields
                if field.attname not in self._computed
            ]
            for obj in objs
        ]
        if any(hasattr(value, "as_sql") for row in value_rows for value in row):
            raise ValueError("an expression cannot be inserted by a prepared INSERT")
        if compiled.slots is not None:
            # one row: each plain value has its own "%s", the computed ones their parameters
            params = list(compiled.params)
            for slot, value in zip(compiled.slots, value_rows[0], strict=True):
                params[slot] = value
            for attname, (_build, fields) in self._computed.items():
                values = (computed or {})[self._by_name[attname]]
                if len(values) != len(fields):
                    raise TypeError(f"{len(fields)} values needed, {len(values)} given")
                for position, field, value in zip(
                    compiled.positions[attname], fields, values, strict=True
                ):
                    params[position] = field.get_db_prep_value(value, connection, prepared=False)
        else:
            # the parameters as the compiler lays them out (PostgreSQL: one array per column)
            _placeholders, param_rows = compiler.assemble_as_sql(self._fields, value_rows)
            params = list(chain.from_iterable(param_rows))
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall() if self._returning else []
            written = len(rows) if self._returning else cursor.rowcount
        for index, obj in enumerate(objs):
            if rows:
                for field, value in zip(self._returning, rows[index], strict=True):
                    setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = using
        return int(written)

    def _compile(
        self, objs: Sequence[M], connection: BaseDatabaseWrapper, using: str
    ) -> _CompiledInsert:
        if any(getattr(field, "get_placeholder", None) for field in self._fields):
            raise ValueError("a field with its own placeholder cannot be prepared")
        if any(hasattr(getattr(obj, f.attname), "as_sql") for obj in objs for f in self._fields):
            raise ValueError("an expression cannot be inserted by a prepared INSERT")
        # The computed fields' expressions, built for markers that show where each value goes.
        markers = {
            attname: [_marker_for(field) for field in fields]
            for attname, (_build, fields) in self._computed.items()
        }
        stand_ins: list[Model] = [
            _copy_with(obj, {a: build(*markers[a]) for a, (build, _f) in self._computed.items()})
            for obj in objs
        ]
        on_conflict = OnConflict.IGNORE if self._ignore_conflicts else None
        query = InsertQuery(self._model, on_conflict=on_conflict)
        query.insert_values(self._fields, stand_ins)
        compiler = cast(SQLInsertCompiler, query.get_compiler(using=using))
        compiler.returning_fields = self._returning
        statements = compiler.as_sql()
        if len(statements) != 1:
            raise ValueError("only a single INSERT statement can be prepared")
        if self._returning and getattr(compiler, "returning_params", None):
            raise ValueError("an INSERT whose RETURNING takes parameters cannot be prepared")
        sql, params = statements[0]
        if len(objs) != 1:
            return _CompiledInsert(compiler, sql, (), None, {})
        # One row: the parameters in field order, one per plain field.
        slots: list[int] = []
        positions: dict[str, tuple[int, ...]] = {}
        offset = 0
        for field in self._fields:
            if field.attname in self._computed:
                # as the compiler lays the value out (`assemble_as_sql`, one row)
                value = compiler.prepare_value(field, compiler.pre_save_val(field, stand_ins[0]))
                _sql, expression_params = compiler.field_as_sql(field, cast(Any, None), value)
                found = []
                for marker, param_field in zip(
                    markers[field.attname], self._computed[field.attname][1], strict=True
                ):
                    prepared = param_field.get_db_prep_value(marker, connection, prepared=False)
                    hits = [offset + i for i, p in enumerate(expression_params) if p == prepared]
                    if len(hits) != 1:
                        raise ValueError(f"a parameter occurs {len(hits)} times in the expression")
                    found.append(hits[0])
                positions[field.attname] = tuple(found)
                offset += len(expression_params)
            else:
                slots.append(offset)
                offset += 1
        if offset != len(params):
            raise ValueError("the INSERT's parameters are not one per value")
        # The first row's plain values (personal data among them) are not kept for the
        # process's life: every call sets its own.
        template: list[Any] = list(params)
        for slot in slots:
            template[slot] = None
        return _CompiledInsert(compiler, sql, tuple(template), tuple(slots), positions)


@dataclass(frozen=True)
class _CompiledInsert:
    compiler: SQLInsertCompiler
    sql: str
    params: tuple[Any, ...]  # one row's parameters as compiled (markers for computed values)
    slots: tuple[int, ...] | None  # one row: each plain value's position in params
    positions: dict[str, tuple[int, ...]]  # one row: each computed field's values' positions


def _copy_with(obj: M, values: Mapping[str, Any]) -> M:
    """A copy of the object with some attributes replaced (the caller's object stays)."""
    copy = copy_module.copy(obj)
    for attname, value in values.items():
        setattr(copy, attname, value)
    return copy
