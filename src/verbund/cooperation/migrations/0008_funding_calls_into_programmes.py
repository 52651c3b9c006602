"""Calls opened before programmes existed join one programme per Land, named after the
ThürEGovRL they were opened under; reversing leaves them without a programme again."""

from django.db import migrations

TITLE = "ThürEGovRL (bis 2026 eröffnete Aufrufe)"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    FundingCall = apps.get_model("cooperation", "FundingCall")
    FundingProgramme = apps.get_model("cooperation", "FundingProgramme")
    for land_id in (
        FundingCall.objects.filter(programme__isnull=True).values_list("land_id", flat=True).distinct()
    ):
        programme, _created = FundingProgramme.objects.get_or_create(land_id=land_id, title=TITLE)
        FundingCall.objects.filter(land_id=land_id, programme__isnull=True).update(
            programme=programme
        )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    FundingCall = apps.get_model("cooperation", "FundingCall")
    FundingProgramme = apps.get_model("cooperation", "FundingProgramme")
    FundingCall.objects.filter(programme__title=TITLE).update(programme=None)
    FundingProgramme.objects.filter(title=TITLE).delete()


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0007_funding_programmes")]

    operations = [migrations.RunPython(forwards, backwards)]
