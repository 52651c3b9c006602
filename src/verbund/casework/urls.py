from django.urls import path

from verbund.casework import views

app_name = "casework"
urlpatterns = [
    path("sachbearbeitung/", views.index, name="index"),
    path("sachbearbeitung/<slug:slug>/", views.inbox, name="inbox"),
    path("sachbearbeitung/<slug:slug>/einstellungen/", views.handoff_settings, name="settings"),
    path("sachbearbeitung/vorgang/<str:number>/", views.case_detail, name="case"),
    path(
        "sachbearbeitung/vorgang/<str:number>/aktion/<slug:verb>/",
        views.case_action,
        name="action",
    ),
    path(
        "sachbearbeitung/vorgang/<str:number>/anhang/<str:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path(
        "sachbearbeitung/vorgang/<str:number>/antwort/<str:reply_id>/anhang/<str:attachment_id>/",
        views.reply_attachment,
        name="reply_attachment",
    ),
    path(
        "sachbearbeitung/vorgang/<str:number>/bescheid/<int:decision_id>/",
        views.decision_pdf,
        name="decision",
    ),
    path("sachbearbeitung/vorgang/<str:number>/export.json", views.export_json, name="export_json"),
    path("sachbearbeitung/vorgang/<str:number>/export.xml", views.export_xml, name="export_xml"),
]
