from django.urls import path

from verbund.costs import views

app_name = "costs"
urlpatterns = [
    path("land/kosten/", views.land_costs, name="land"),
    path("land/kosten/abrechnen/", views.issue, name="issue"),
    path("land/kosten/<str:month>.csv", views.month_csv, name="month_csv"),
    path("verwaltung/<slug:slug>/abrechnungen/", views.statements, name="statements"),
    path(
        "verwaltung/<slug:slug>/abrechnungen/<str:month>.pdf",
        views.statement_pdf,
        name="statement_pdf",
    ),
    path(
        "verwaltung/<slug:slug>/abrechnungen/<str:month>.csv",
        views.statement_csv,
        name="statement_csv",
    ),
]
