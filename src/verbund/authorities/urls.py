from django.urls import path

from verbund.authorities import views

app_name = "authorities"
urlpatterns = [
    path("behoerden/<slug:slug>/", views.authority_page, name="detail"),
    path("schluessel/", views.key_unlock, name="key_unlock"),
    path("schluessel/<slug:slug>/", views.key_access, name="key_access"),
    path("schluessel/<slug:slug>/aendern/", views.key_access_change, name="key_access_change"),
]
