from django.urls import path

from verbund.finder import views

app_name = "finder"
urlpatterns = [
    path("leistungen/<str:slug>/zustaendigkeit", views.responsibility, name="responsibility"),
]
