"""The domain boundaries (decision 0023): the contract fails on a forbidden import, and the
architecture page draws the declared graph."""

from pathlib import Path

import grimp
import pytest
from django.conf import settings

from verbund.core import boundaries
from verbund.core.boundary_contract import DomainBoundaries


def contract() -> DomainBoundaries:
    return DomainBoundaries(name="domains", session_options={}, contract_options={})


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("verbund", exclude_type_checking_imports=True)


def test_the_code_keeps_the_contract(graph):
    check = contract().check(graph, verbose=False)
    assert check.kept, "\n".join(check.metadata["violations"])


@pytest.mark.parametrize(
    ("importer", "imported", "why"),
    [
        # the cycle of issue 19: gebiete below authorities
        ("verbund.gebiete.views", "verbund.authorities.queries", "may not use authorities"),
        # another domain's internals
        ("verbund.casework.queries", "verbund.applications.models", "internal to applications"),
        ("verbund.finder.api", "verbund.catalogue.api", "internal to catalogue"),
        # the shared ground uses no domain
        ("verbund.core.checks", "verbund.accounts.queries", "shared ground"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(graph, importer, imported, why):
    # given: the real graph with one forbidden import added
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
    try:
        # when
        check = contract().check(graph, verbose=False)
    finally:
        graph.remove_import(importer=importer, imported=imported)
    # then
    assert not check.kept
    assert any(importer in v and why in v for v in check.metadata["violations"])


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("verbund.casework.queries", "verbund.applications.queries"),
        ("verbund.casework.views", "verbund.accounts.access"),
        ("verbund.finder.api", "verbund.authorities.types"),
        ("verbund.mailbox.tests.conftest", "verbund.applications.models"),
        ("verbund.opendata.actions", "verbund.core.audit"),
    ],
)
def test_public_modules_and_tests_pass(importer, imported):
    assert boundaries.forbidden_reason(importer, imported) is None


def test_a_read_of_another_domains_table_is_found():
    source = (
        "from verbund.authorities.types import Authority\n"
        "from verbund.opendata.models import Dataset\n"
        "def f():\n"
        "    Dataset.objects.all()\n"
        "    return Authority.objects.filter(slug='x')\n"
    )
    uses = boundaries.foreign_manager_uses("verbund.opendata.queries", source)
    assert uses == [(5, "Authority.objects")]


def test_the_declared_domains_form_layers():
    assert boundaries.dependency_cycle() is None
    # and a cycle would be named
    boundaries.DOMAINS["gebiete"] = ("authorities",)
    try:
        assert boundaries.dependency_cycle() == ["gebiete", "authorities", "gebiete"]
    finally:
        boundaries.DOMAINS["gebiete"] = ()


def test_every_domain_app_is_declared():
    apps = {
        app.split(".")[1]
        for app in settings.INSTALLED_APPS
        if app.startswith("verbund.") and app.split(".")[1] not in boundaries.FOUNDATION
    }
    assert apps == set(boundaries.DOMAINS)


def test_the_architecture_page_draws_the_contract():
    page = (Path(settings.BASE_DIR) / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert boundaries.replace_graph(page) == page, "run `verbund architecture-graph`"


def test_no_file_or_function_grows_past_the_limits(tmp_path):
    from verbund.core import sizes

    # the tree keeps them (make lint runs the same)
    assert sizes.problems(Path(sizes.__file__).resolve().parents[1]) == []
    # and a new long function is named
    body = "\n".join(f"    x{i} = {i}" for i in range(sizes.MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def long():\n{body}\n")
    assert sizes.oversized(tmp_path) == ["long.py::long"]
