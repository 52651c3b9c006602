"""Fill the new format index of existing datasets from their distributions."""

from typing import Any

from django.db import migrations


def fill_format_index(apps: Any, schema_editor: Any) -> None:
    Dataset = apps.get_model("opendata", "Dataset")
    Distribution = apps.get_model("opendata", "Distribution")
    formats: dict[Any, set[str]] = {}
    for dataset_id, code in Distribution.objects.values_list("dataset_id", "format"):
        if code:
            formats.setdefault(dataset_id, set()).add(code.upper())
    changed = []
    for dataset in Dataset.objects.only("pk", "format_index").iterator(chunk_size=2000):
        dataset.format_index = "".join(f"|{f}" for f in sorted(formats.get(dataset.pk, ()))) + "|"
        changed.append(dataset)
    Dataset.objects.bulk_update(changed, ["format_index"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0003_dataset_format_index_and_order_indexes")]

    operations = [migrations.RunPython(fill_format_index, migrations.RunPython.noop)]
