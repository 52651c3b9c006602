"""The domains of Verbund and which others each may use: the one place that says so.

`lint-imports` (run by `make lint`) checks the code against this table through
`verbund.core.boundary_contract.DomainBoundaries`, and `verbund architecture-graph` draws the
dependency graph in docs/architecture.md from it. Decision 0023 gives the reasons.
"""

from __future__ import annotations

# A domain may use the domains listed for it, and only through their public modules; every
# domain may use `core` (base model, audit, errors, tasks, access helpers), `settings` and
# `integrations` (one client per external system), which hold no domain of their own.
DOMAINS: dict[str, tuple[str, ...]] = {
    "gebiete": (),
    "accounts": (),
    "authorities": ("gebiete", "accounts"),
    "catalogue": ("authorities",),
    "finder": ("gebiete", "authorities", "catalogue"),
    "applications": ("accounts", "authorities", "catalogue", "finder"),
    "mailbox": ("accounts", "authorities", "applications"),
    "casework": ("accounts", "authorities", "catalogue", "finder", "applications", "mailbox"),
    "einvoices": ("accounts", "authorities"),
    "opendata": ("gebiete", "accounts", "authorities"),
    "cooperation": (
        "gebiete",
        "accounts",
        "authorities",
        "catalogue",
        "finder",
        "applications",
        "casework",
    ),
    "costs": (
        "gebiete",
        "accounts",
        "authorities",
        "applications",
        "mailbox",
        "einvoices",
        "opendata",
        "cooperation",
    ),
    "transparency": (
        "gebiete",
        "authorities",
        "catalogue",
        "finder",
        "applications",
        "casework",
        "einvoices",
        "opendata",
    ),
}

# Imports that break the rule, each with its reason, while they are being removed. Empty: the
# contract refuses every such import. An entry that is no longer needed is an error too.
PENDING: dict[tuple[str, str], str] = {}

# Reads of another domain's table through its manager, (module, "Model.manager"), while they
# move into that domain's queries. Empty since issue 19's second session (decision 0023): the
# contract refuses every such read. An entry that is no longer needed is an error too.
PENDING_MANAGERS: set[tuple[str, str]] = set()

# Shared ground: usable by every domain, importing no domain itself.
FOUNDATION = ("core", "settings", "integrations")

# The modules through which another domain is used. `queries` reads (with the access checks),
# `actions` writes, `extensions` holds the hooks a higher domain fills at startup, `types`
# the models, enums and value objects that callers name (in annotations, isinstance, enum
# values; never their managers: reads go through `queries`), `access` the guards that pages
# and API routes put in front of themselves (accounts: signed in, second factor, role).
PUBLIC_MODULES = ("queries", "actions", "extensions", "types", "access")

# Inside a domain these are not checked: tests assemble the whole platform (a case needs an
# authority, a service and a submission), and migrations are frozen history that names field
# classes by their path at the time.
UNCHECKED_PARTS = ("tests", "migrations")

# The project's composition root: URL and API mounting, the request's middleware chain, the
# command line, WSGI.
ROOT_MODULES = (
    "verbund",
    "verbund.urls",
    "verbund.api",
    "verbund.middleware",
    "verbund.cli",
    "verbund.wsgi",
    "verbund.__main__",
)


def domain_of(module: str) -> str | None:
    """The domain (or foundation package) a module `verbund.<name>…` belongs to."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "verbund" or module in ROOT_MODULES:
        return None
    return parts[1]


def is_checked(module: str) -> bool:
    """Whether the boundary rule applies to imports made by this module."""
    return not any(part in UNCHECKED_PARTS for part in module.split(".")[2:])


def is_public(module: str) -> bool:
    """Whether another domain may import this module: `verbund.<domain>.<public module>`."""
    parts = module.split(".")
    return len(parts) >= 3 and parts[2] in PUBLIC_MODULES


def forbidden_reason(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported`, or None when the rule allows it."""
    source, target = domain_of(importer), domain_of(imported)
    if source is None or target is None or source == target or not is_checked(importer):
        return None
    if (importer, imported) in PENDING:
        return None
    if source in FOUNDATION:
        if target in FOUNDATION:
            return None
        return f"{source} is shared ground and uses no domain (here: {target})"
    if target in FOUNDATION:
        return None
    if source not in DOMAINS:
        return f"domain {source} is not declared in verbund.core.boundaries.DOMAINS"
    if target not in DOMAINS[source]:
        return f"{source} may not use {target} (allowed: {', '.join(DOMAINS[source]) or '–'})"
    if not is_public(imported):
        return f"{imported} is internal to {target}; use {target}.{{{', '.join(PUBLIC_MODULES)}}}"
    return None


def dependency_cycle() -> list[str] | None:
    """A cycle in the declared graph, or None: the domains must form layers."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(domain: str) -> list[str] | None:
        state[domain] = 1
        path.append(domain)
        for used in DOMAINS.get(domain, ()):
            if state.get(used) == 1:
                return [*path[path.index(used) :], used]
            if used not in state and (cycle := visit(used)):
                return cycle
        state[domain] = 2
        path.pop()
        return None

    for domain in DOMAINS:
        if domain not in state and (cycle := visit(domain)):
            return cycle
    return None


MANAGERS = ("objects", "_default_manager", "_base_manager")


def foreign_manager_uses(module: str, source: str) -> list[tuple[int, str]]:
    """Lines where `module` queries another domain's model through its manager
    (`Authority.objects…`): a type imported from `<domain>.types` may be named, but reads go
    through that domain's `queries` (and writes through its `actions`)."""
    import ast

    own = domain_of(module)
    foreign: set[str] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            target = domain_of(node.module)
            if target in DOMAINS and target != own and node.module.endswith(".types"):
                foreign.update(alias.asname or alias.name for alias in node.names)
    return sorted(
        (node.lineno, f"{node.value.id}.{node.attr}")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in MANAGERS
        and isinstance(node.value, ast.Name)
        and node.value.id in foreign
    )


GRAPH_START = "<!-- domain-graph: generated by `verbund architecture-graph`, do not edit -->"
GRAPH_END = "<!-- /domain-graph -->"


def render_graph() -> str:
    """The dependency section of docs/architecture.md, drawn from DOMAINS."""
    lines = [
        GRAPH_START,
        "",
        "```mermaid",
        "flowchart TD",
    ]
    for source, targets in DOMAINS.items():
        lines += [f"  {source} --> {target}" for target in targets]
    lines += ["```", ""]
    lines += ["| Domain | may use (besides core, settings, integrations) |", "| --- | --- |"]
    for source, targets in DOMAINS.items():
        lines.append(f"| `{source}` | {', '.join(f'`{t}`' for t in targets) or '–'} |")
    modules = ", ".join(f"`{m}`" for m in PUBLIC_MODULES)
    lines += [
        "",
        "Every domain uses `core`, `settings` and `integrations` (not drawn). Each edge is "
        f"used only through the public modules: {modules}. Not checked: "
        + ", ".join(f"`{part}/`" for part in UNCHECKED_PARTS)
        + f"; open exceptions: {len(PENDING)} imports, {len(PENDING_MANAGERS)} manager uses "
        "(`verbund/core/boundaries.py`).",
        "",
        GRAPH_END,
    ]
    return "\n".join(lines)


def replace_graph(page: str) -> str:
    """The page with its generated section replaced (or None if it has none)."""
    start, end = page.index(GRAPH_START), page.index(GRAPH_END) + len(GRAPH_END)
    return page[:start] + render_graph() + page[end:]
