"""How a test says that it needs a real component (browser, virus scanner, data, …).

`needs("chromium")` skips the calling test with a reason that names the component; the root
conftest counts such skips into one German summary line per component and, when `CI` is set,
turns them into failures, so that CI cannot go green because something was missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
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


AXE_SCRIPT = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(
    page: Any, tags: Sequence[str] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
) -> list[str]:
    """Run axe-core (installed by `make assets`) in a Playwright page and return one line per
    violation of the WCAG 2.1 A/AA rules: rule id, impact, and the first offending nodes.
    An empty list means axe found nothing; a test asserts `== []` to show what failed.

    The platform's CSP forbids injected scripts: open the page in a context made with
    `browser.new_context(bypass_csp=True)`."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"axe-core fehlt: {AXE_SCRIPT} (make assets)")
    page.add_script_tag(path=str(AXE_SCRIPT))
    if not page.evaluate("typeof axe !== 'undefined'"):
        raise AssertionError("axe-core wurde nicht geladen: Kontext mit bypass_csp=True öffnen")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        list(tags),
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
    ]


SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def check_page(page: Any, name: str, width: int) -> None:
    """A journey's page check: no horizontal scrolling at this width, no axe violation, and
    (with a name) a screenshot for docs/screenshots/."""
    page.wait_for_load_state("load")  # a navigation a key press started has finished
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: {scroll}px wide at {width}px"
    assert axe_violations(page) == [], name
    if name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))


def page_html(page: Any) -> str:
    """The page's HTML once the navigation a click started has loaded: content() taken while
    the new document is still arriving is empty."""
    page.wait_for_load_state("load")
    return str(page.content())


def press(page: Any, locator: Any, key: str = "Enter") -> None:
    """Operate a control as a keyboard user does: focus, then the key."""
    locator.focus()
    page.keyboard.press(key)


def type_into(page: Any, locator: Any, text: str) -> None:
    """Type into a field as a keyboard user does: focus, then the keys."""
    locator.focus()
    page.keyboard.type(text)
