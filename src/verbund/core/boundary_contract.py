"""The import-linter contract that holds the domains to `verbund.core.boundaries`."""

from __future__ import annotations

from pathlib import Path

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain.contract import Contract, ContractCheck

from verbund.core import boundaries


class DomainBoundaries(Contract):
    """Every import between domains follows a declared edge and enters a public module; the
    declared edges form no cycle, and each is used (so the drawn graph is the real one)."""

    type_name = "domain_boundaries"

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        violations: list[str] = []
        if cycle := boundaries.dependency_cycle():
            violations.append("declared domains form a cycle: " + " → ".join(cycle))
        used: set[tuple[str, str]] = set()
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                source = boundaries.domain_of(importer)
                target = boundaries.domain_of(imported)
                if (
                    source in boundaries.DOMAINS
                    and target in boundaries.DOMAINS
                    and boundaries.is_checked(importer)
                    and source != target
                ):
                    used.add((str(source), str(target)))
                reason = boundaries.forbidden_reason(importer, imported)
                if reason is None:
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = ", ".join(str(d["line_number"]) for d in details) or "?"
                violations.append(f"{importer} (l. {lines}) imports {imported}: {reason}")
        violations += self._foreign_manager_uses(graph)
        for importer, imported in boundaries.PENDING:
            if imported not in graph.find_modules_directly_imported_by(importer):
                violations.append(f"{importer} → {imported} is fixed: remove it from PENDING")
        for source, targets in boundaries.DOMAINS.items():
            for target in targets:
                if (source, target) not in used:
                    violations.append(
                        f"{source} → {target} is declared but unused: remove it from DOMAINS"
                    )
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def _foreign_manager_uses(self, graph: ImportGraph) -> list[str]:
        root = Path(boundaries.__file__).resolve().parents[1]
        found = []
        seen: set[tuple[str, str]] = set()
        for module in sorted(graph.modules):
            if boundaries.domain_of(module) not in boundaries.DOMAINS:
                continue
            if not boundaries.is_checked(module):
                continue
            relative = Path(*module.split(".")[1:])
            path = root / relative.with_suffix(".py")
            if not path.exists():
                path = root / relative / "__init__.py"
            for line, use in boundaries.foreign_manager_uses(module, path.read_text()):
                seen.add((module, use))
                if (module, use) not in boundaries.PENDING_MANAGERS:
                    found.append(
                        f"{module} (l. {line}) uses {use}: another domain's table; "
                        "read through its queries, write through its actions"
                    )
        for module, use in sorted(boundaries.PENDING_MANAGERS - seen):
            found.append(f"{module} no longer uses {use}: remove it from PENDING_MANAGERS")
        return found

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(f"- {violation}", bold=False)
            output.new_line()
