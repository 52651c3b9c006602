from django.urls import path

from verbund.cooperation import views

app_name = "cooperation"
urlpatterns = [
    path("land/", views.land_console, name="land"),
    path("land/einladen/", views.invite, name="invite"),
    path("land/dienste/", views.land_rollout, name="rollout"),
    path("land/dienste/bereitstellen/", views.publish, name="publish"),
    path("land/foerderung/", views.funding, name="funding"),
    path("land/foerderung/aufrufe/", views.open_call, name="open_call"),
    path("land/foerderung/antraege/<int:pk>/", views.decide_funding, name="decide_funding"),
    path("land/foerderung/bericht.csv", views.funding_csv, name="funding_csv"),
    path("land/bezirke/", views.districts, name="districts"),
    path("land/bezirke/aenderungen/<int:pk>/", views.review_district, name="review_district"),
    path("land/bezirke/<slug:slug>/", views.office_kind, name="office_kind"),
    path("land/bezirke/<slug:slug>/vorschlag/", views.propose_district, name="propose_district"),
    path("land/bezirke/<slug:slug>/xzufi.xml", views.districts_xzufi, name="districts_xzufi"),
    path("land/pruefung/", views.funding_review, name="funding_review"),
    path("land/pruefung/antraege/<int:pk>/", views.funding_review_step, name="funding_review_step"),
    path("land/pruefung/nachweise/<int:pk>.pdf", views.proof_document, name="proof_document"),
    path("land/texte/", views.texts, name="texts"),
    path("land/texte/entwurf/", views.text_draft, name="text_draft"),
    path("land/texte/<int:pk>/", views.text_step, name="text_step"),
    path("verwaltung/", views.administration_index, name="administration_index"),
    path("verwaltung/<slug:slug>/", views.administration, name="administration"),
    path("verwaltung/<slug:slug>/vereinbarung/", views.accept, name="accept"),
    path("verwaltung/<slug:slug>/austritt/", views.leave, name="leave"),
    path(
        "verwaltung/<slug:slug>/foerderung/",
        views.administration_funding,
        name="administration_funding",
    ),
    path(
        "verwaltung/<slug:slug>/foerderung/<int:pk>/",
        views.administration_funding_step,
        name="administration_funding_step",
    ),
    path(
        "verwaltung/<slug:slug>/mitarbeitende/",
        views.administration_staff,
        name="administration_staff",
    ),
    path(
        "verwaltung/<slug:slug>/mitarbeitende/speichern/",
        views.administration_staff_save,
        name="administration_staff_save",
    ),
    path(
        "verwaltung/<slug:slug>/mitarbeitende/einladen/",
        views.administration_staff_invite,
        name="administration_staff_invite",
    ),
    path(
        "verwaltung/<slug:slug>/mitarbeitende/<int:pk>/deaktivieren/",
        views.administration_staff_deactivate,
        name="administration_staff_deactivate",
    ),
    path(
        "verwaltung/<slug:slug>/leitweg-ids/",
        views.administration_leitweg,
        name="administration_leitweg",
    ),
    path(
        "verwaltung/<slug:slug>/leitweg-ids/<int:pk>/deaktivieren/",
        views.administration_leitweg_deactivate,
        name="administration_leitweg_deactivate",
    ),
    path("verwaltung/<slug:slug>/texte/", views.administration_texts, name="administration_texts"),
    path(
        "verwaltung/<slug:slug>/texte/entwurf/",
        views.administration_text_draft,
        name="administration_text_draft",
    ),
    path(
        "verwaltung/<slug:slug>/texte/<int:pk>/",
        views.administration_text_step,
        name="administration_text_step",
    ),
    path(
        "verwaltung/<slug:slug>/dienste/<int:pk>/",
        views.service_activation,
        name="service_activation",
    ),
]
