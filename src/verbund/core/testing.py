"""How a test says that it needs a real component (browser, virus scanner, data, …).

`needs("chromium")` skips the calling test with a reason that names the component; the root
conftest counts such skips into one German summary line per component and, when `CI` is set,
turns them into failures, so that CI cannot go green because something was missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from verbund.core.components import COMPONENTS, tag


def reason(key: str) -> str:
    component = COMPONENTS[key]
    return f"{tag(key)} {component.missing} — {component.remedy}"


def needs(*keys: str) -> None:
    """Skip the calling test (or fixture) unless every named component is present."""
    for key in keys:
        if not COMPONENTS[key].present():
            pytest.skip(reason(key))


def needs_mark(key: str) -> pytest.MarkDecorator:
    """The same as a mark, for `pytestmark` or a decorator."""
    return pytest.mark.skipif(not COMPONENTS[key].present(), reason=reason(key))


def data_params(values: Iterable[Any], key: str) -> Sequence[Any]:
    """Parameters read from the data directory; when there are none because the component
    is missing, one skipped parameter that names it (pytest's bare "got empty parameter
    set" says nothing of what to install)."""
    found = list(values)
    if found:
        return found
    if COMPONENTS[key].present():
        raise AssertionError(f"{COMPONENTS[key].key} is present but holds no test files")
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason(key)), id="fehlt")]
