"""An upgrade that changes the text analysis rebuilds the stored index on `migrate`, so the
stems of the queries and of the index never disagree."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from verbund.catalogue import indexing
from verbund.catalogue.models import SearchEntry, SearchIndexState, SearchTerm
from verbund.catalogue.queries import search_services
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_demo_index_names_the_analyser_that_built_it():
    assert SearchIndexState.objects.get(pk=1).analysis == indexing.analysis_digest()
    assert indexing.index_is_current()


def test_migrate_rebuilds_an_index_another_analyser_built():
    # given: an index as an older release left it (other stems, its own analyser's name)
    assert search_services("Hundesteuer")[0].service.slug == "hundesteuer-anmelden"
    SearchEntry.objects.update(names="", name_parts="", terms="", term_parts="", body="")
    SearchTerm.objects.all().delete()
    SearchIndexState.objects.filter(pk=1).update(analysis="older-release")
    assert not indexing.index_is_current()
    # when: the upgrade migrates
    out = io.StringIO()
    call_command("migrate", verbosity=1, stdout=out)
    # then: the index is this release's again, and the search finds what it found
    assert "Suchindex neu aufgebaut" in out.getvalue()
    assert indexing.index_is_current()
    assert not SearchEntry.objects.filter(names="").exists()
    assert SearchTerm.objects.exists()
    assert search_services("Hundesteuer")[0].service.slug == "hundesteuer-anmelden"
    assert AuditEntry.objects.filter(
        action="catalogue.search_index_rebuilt", actor_label="migrate"
    ).exists()


def test_migrate_leaves_a_current_index_alone():
    version = SearchIndexState.objects.get(pk=1).version
    out = io.StringIO()
    call_command("migrate", verbosity=1, stdout=out)
    assert "Suchindex" not in out.getvalue()
    assert SearchIndexState.objects.get(pk=1).version == version


def test_the_analysers_name_covers_files_that_exist():
    here = Path(indexing.__file__).resolve().parent
    assert all((here / name).is_file() for name in indexing.ANALYSIS_SOURCES)


def test_the_rebuild_waits_for_the_analysis_column():
    # migrated back behind catalogue 0006, the receiver must not ask for the column
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from verbund.catalogue.apps import _migrated_to_analysis

    loader = MigrationLoader(connection)
    before = loader.project_state(("catalogue", "0005_searchentry_embedding")).apps
    after = loader.project_state(("catalogue", "0006_searchindexstate_analysis")).apps
    assert not _migrated_to_analysis(before)
    assert _migrated_to_analysis(after)
