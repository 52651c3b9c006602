from django.urls import path

from verbund.catalogue import views

app_name = "catalogue"
urlpatterns = [
    # The start page of the portal; core's `start` URL name resolves to this path.
    path("", views.start, name="start"),
    path("leistungen/", views.search, name="search"),
    path("leistungen/<str:slug>/", views.service_page, name="service"),
    path("lebenslagen/", views.lebenslagen, name="lebenslagen"),
    path("lebenslagen/<str:slug>/", views.lebenslage_page, name="lebenslage"),
]
