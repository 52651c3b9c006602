from django.urls import path

from verbund.transparency import views

app_name = "transparency"
urlpatterns = [
    path("transparenz/", views.land, name="land"),
    path("transparenz/karte/", views.map_page, name="map"),
    path("transparenz/methodik/", views.methodology, name="methodology"),
    path("transparenz/tabellen/<slug:name>.csv", views.table_csv, name="table_csv"),
    path("transparenz/<str:key>/", views.region, name="region"),
    path("transparenz/<str:key>/kennzahlen.csv", views.region_csv, name="region_csv"),
]
