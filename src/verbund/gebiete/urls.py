from django.urls import path

from verbund.gebiete import views

app_name = "gebiete"
urlpatterns = [
    path("gebiete/", views.land_overview, name="land"),
    path("gebiete/kreis/<str:key>/", views.kreis_page, name="kreis"),
    path("gebiete/gemeinde/<str:ags>/", views.gemeinde_page, name="gemeinde"),
]
