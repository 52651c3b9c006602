from django.urls import path

from verbund.einvoices import views

app_name = "einvoices"
urlpatterns = [
    path("e-rechnung/", views.upload, name="upload"),
    path("e-rechnung/leitweg-ids/", views.leitweg_ids, name="leitweg_ids"),
    path("rechnungen/", views.my_inboxes, name="my_inboxes"),
    path("behoerde/<slug:slug>/rechnungen/", views.inbox, name="inbox"),
    path("rechnungen/<uuid:invoice_id>/", views.detail, name="detail"),
    path("rechnungen/<uuid:invoice_id>/original", views.original, name="original"),
    path("rechnungen/<uuid:invoice_id>/status/", views.change_status, name="change_status"),
    path("rechnungen/<uuid:invoice_id>/ablehnen/", views.reject, name="reject"),
]
