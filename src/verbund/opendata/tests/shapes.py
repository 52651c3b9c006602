"""Validation against the DCAT-AP.de SHACL shapes, read from ../shared/data (never fetched)."""

from __future__ import annotations

from pathlib import Path

import pyshacl
from rdflib import Graph
from rdflib.namespace import SH

SHAPE_SETS = ("shapes-v3.0", "shapes-v2.0")


def load_shapes(data_dir: Path, name: str) -> Graph:
    graph = Graph()
    for path in sorted((data_dir / "dcat" / name).glob("*.ttl")):
        # The imports file only names web vocabularies (owl:imports); it holds no shapes.
        if path.name != "dcat-ap-de-imports.ttl":
            graph.parse(path, format="turtle")
    return graph


def violations(data: Graph, shapes: Graph) -> list[str]:
    """The messages of every sh:Violation (warnings and infos are not counted)."""
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", do_owl_imports=False, allow_warnings=True
    )
    assert isinstance(report, Graph)
    found = []
    for result in report.subjects(SH.resultSeverity, SH.Violation):
        message = report.value(result, SH.resultMessage)
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        found.append(f"{focus} {path}: {message}")
    return sorted(found)
