"""Reads on a hot path whose SQL Django compiles once per database connection
(decision 0034, addendum "prepared reads").

Django turns a QuerySet into SQL anew every time it is evaluated. For a read with joins,
`only()`, an annotation and a row lock that costs more than ten times running it (2.2 ms
against 0.18 ms on SQLite, for the submission's completion). A `Prepared` read is written as
an ordinary QuerySet of one parameter; it is compiled once per connection and then only
executed, and its rows become what iterating the QuerySet would give: model instances with
their `select_related` objects and annotations, or the converted values of `values_list()`.

Django builds those from the compiler's description of the columns (`select`,
`klass_info`, `annotation_col_map`) exactly as `ModelIterable` does; the tests compare each
prepared read with the QuerySet's own result, so a Django upgrade that changes these
internals fails there and not in production.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    index: int  # the parameter's position in params
    locks: bool


class Prepared(Generic[M]):
    """`build(value)` returns the QuerySet for one value of `param` (a model field the
    value is compared with); `instance(value)` and `row(value)` give its first row."""

    def __init__(self, build: Callable[[Any], QuerySet[M, Any]], *, param: Field[Any, Any]) -> None:
        self._build = build
        self._param = param
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = (
            weakref.WeakKeyDictionary()
        )

    def instance(self, value: Any, *, using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The first model instance, as `build(value).first()` would give it."""
        compiled, row = self._fetch(value, using)
        if row is None:
            return None
        compiler = compiled.compiler
        (values,) = compiler.results_iter([[row]])
        klass_info = compiler.klass_info
        assert klass_info is not None, "instance() needs a QuerySet of model instances"
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in compiler.select[start:end]]
        obj: M = klass_info["model"].from_db(using, names, values[start:end])
        # (django-stubs describe Django 6's signature; 5.2 takes these three)
        populators = get_related_populators(klass_info, compiler.select, using)  # type: ignore[call-arg]
        for populator in populators:
            populator.populate(values, obj)
        for name, position in (compiler.annotation_col_map or {}).items():
            setattr(obj, name, values[position])
        return obj

    def row(self, value: Any, *, using: str = DEFAULT_DB_ALIAS) -> tuple[Any, ...] | None:
        """The first row of a `values_list()` QuerySet, its values converted."""
        compiled, row = self._fetch(value, using)
        if row is None:
            return None
        (values,) = compiled.compiler.results_iter([[row]])
        return tuple(values[: compiled.compiler.col_count])

    def _fetch(self, value: Any, using: str) -> tuple[_Compiled, tuple[Any, ...] | None]:
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(connection, using)
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        params[compiled.index] = self._param.get_db_prep_value(value, connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return compiled, cursor.fetchone()

    def _compile(self, connection: BaseDatabaseWrapper, using: str) -> _Compiled:
        marker = _marker_for(self._param)
        queryset = self._build(marker)
        if not queryset.query.is_sliced:
            queryset = queryset[:1]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        prepared = self._param.get_db_prep_value(marker, connection, prepared=False)
        positions = [i for i, p in enumerate(params) if p == prepared]
        if len(positions) != 1:
            raise ValueError(f"the parameter occurs {len(positions)} times in the query")
        return _Compiled(
            compiler, sql, tuple(params), positions[0], bool(queryset.query.select_for_update)
        )


def _marker_for(field: Field[Any, Any]) -> Any:
    """A value of the field's type that no real parameter of the query equals."""
    if field.get_internal_type() == "UUIDField":
        return uuid.uuid4()
    if field.get_internal_type() in ("CharField", "TextField", "SlugField"):
        return f"prepared-{uuid.uuid4()}"
    raise TypeError(f"no marker for a {field.get_internal_type()}")
