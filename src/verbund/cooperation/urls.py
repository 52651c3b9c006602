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
    path("verwaltung/", views.administration_index, name="administration_index"),
    path("verwaltung/<slug:slug>/", views.administration, name="administration"),
    path("verwaltung/<slug:slug>/vereinbarung/", views.accept, name="accept"),
    path("verwaltung/<slug:slug>/austritt/", views.leave, name="leave"),
    path(
        "verwaltung/<slug:slug>/dienste/<int:pk>/",
        views.service_activation,
        name="service_activation",
    ),
]
