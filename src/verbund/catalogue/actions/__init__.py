"""Writes to the catalogue: imports of the LeiKa and the OZG structure, the curated starter
catalogue, editorial changes and authority texts. Each is one transaction with its audit row;
each keeps the search index in step."""

from verbund.catalogue.actions.editing import (
    delete_authority_text,
    ensure_search_index,
    rebuild_search_index,
    relink_lebenslage,
    save_authority_text,
    save_lebenslage,
    save_service,
    set_text_field,
)
from verbund.catalogue.actions.imports import (
    LEIKA_FIELDS,
    LeikaReport,
    OzgReport,
    import_leika,
    import_ozg,
)
from verbund.catalogue.actions.starter import (
    STARTER_LINE_FIELDS,
    STARTER_LIST_FIELDS,
    STARTER_TEXT_FIELDS,
    StarterReport,
    load_starter_catalogue,
    unwrap,
)

__all__ = [
    "LEIKA_FIELDS",
    "STARTER_LINE_FIELDS",
    "STARTER_LIST_FIELDS",
    "STARTER_TEXT_FIELDS",
    "LeikaReport",
    "OzgReport",
    "StarterReport",
    "delete_authority_text",
    "ensure_search_index",
    "import_leika",
    "import_ozg",
    "load_starter_catalogue",
    "rebuild_search_index",
    "relink_lebenslage",
    "save_authority_text",
    "save_lebenslage",
    "save_service",
    "set_text_field",
    "unwrap",
]
