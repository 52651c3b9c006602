from django.contrib import admin

from verbund.gebiete.models import Gebiet, GebietChange, Postleitzahl


class PostleitzahlInline(admin.TabularInline[Postleitzahl, Gebiet]):
    model = Postleitzahl
    extra = 0


@admin.register(Gebiet)
class GebietAdmin(admin.ModelAdmin[Gebiet]):
    list_display = [
        "name",
        "level",
        "type",
        "key",
        "ars",
        "population",
        "gebietsstand",
        "valid_until",
    ]
    list_filter = ["level", "type", "valid_until"]
    search_fields = ["name", "key", "ars"]
    raw_id_fields = [
        "land",
        "regierungsbezirk",
        "kreis",
        "verband",
        "erfuellende_gemeinde",
        "successor",
    ]
    exclude = ["geometry"]
    inlines = [PostleitzahlInline]


@admin.register(GebietChange)
class GebietChangeAdmin(admin.ModelAdmin[GebietChange]):
    list_display = ["gebiet", "kind", "gebietsstand"]
    list_filter = ["kind", "gebietsstand"]
    raw_id_fields = ["gebiet"]
