from django.urls import path

from verbund.applications import views

app_name = "applications"
urlpatterns = [
    path("antraege/", views.index, name="index"),
    path("antraege/meine/", views.mine, name="mine"),
    path("leistungen/<slug:slug>/antrag/", views.start, name="start"),
    path("antraege/<uuid:draft_id>/schritt/<int:step>/", views.step, name="step"),
    path("antraege/<uuid:draft_id>/zusammenfassung/", views.summary, name="summary"),
    path("antraege/<uuid:draft_id>/spaeter/", views.save_for_later, name="save_for_later"),
    path("antraege/fortsetzen/<uuid:draft_id>/<str:token>/", views.resume, name="resume"),
    path("vorgang/status/", views.status_lookup, name="status_lookup"),
    path("vorgang/<str:number>/", views.receipt, name="receipt"),
    path("vorgang/<str:number>/eingangsbestaetigung.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("vorgang/<str:number>/bezahlen/", views.pay, name="pay"),
    path("zahlung/test/<str:request_id>/", views.test_payment, name="test_payment"),
    path("zahlung/rueckmeldung/", views.payment_callback, name="payment_callback"),
    path("zahlung/meldung/", views.payment_notification, name="payment_notification"),
    path("vorgang/<str:number>/bezahlen/zurueck/", views.payment_return, name="payment_return"),
]
