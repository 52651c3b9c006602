from django.urls import path

from verbund.authorities import views

app_name = "authorities"
urlpatterns = [
    path("behoerden/<slug:slug>/", views.authority_page, name="detail"),
]
