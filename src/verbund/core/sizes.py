"""`make lint` refuses a module of more than 600 lines and a function of more than 80 in
src/ (issue 19), except those listed below with the reason they are still that long.

    python -m verbund.core.sizes

The list only shrinks: an entry that is no longer needed is an error too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80

# "path" for a file, "path::function" for a function; paths below src/verbund/.
ALLOWED: dict[str, str] = {
    # The authorization matrix's world: one fixture that builds every role of every tenant.
    "cooperation/tests/test_access.py::world": "the matrix's world, one fixture",
    # The ranking is one pipeline whose steps share many locals; measured by bench/.
    "catalogue/search.py": "search pipeline; split with the bench at hand",
    # EN 16931 reading: one function per syntax (UBL, CII) over the same fields.
    "einvoices/reading.py": "two syntaxes of one model side by side",
    # One fixed-width record layout of GV100AD (Statistisches Bundesamt), field by field.
    "gebiete/gv100ad.py::parse_line": "the record layout, field by field",
    "opendata/ckan_packages.py::package_dict": "the CKAN package shape, key by key",
    # Every setting of the platform with its default and help text, in one registry.
    "settings/base.py": "the settings registry (docs/configuration.md)",
}


def oversized(root: Path) -> list[str]:
    """Every file and function in `root` over the limits, as "path" or "path::function"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = path.relative_to(root).as_posix()
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > MAX_FILE_LINES:
            found.append(name)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{name}::{node.name}")
    return found


def problems(root: Path) -> list[str]:
    found = oversized(root)
    result = [
        f"{item}: over {MAX_FILE_LINES} lines (file) or {MAX_FUNCTION_LINES} (function)"
        for item in found
        if item not in ALLOWED
    ]
    result += [
        f"{item}: no longer too long, remove it from ALLOWED"
        for item in ALLOWED
        if item not in found
    ]
    return result


def main() -> int:
    found = problems(Path(__file__).resolve().parents[1])
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
