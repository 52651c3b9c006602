"""A URL configuration for tests: the project's URLs without the finder's pages, to check
that the service page degrades to the plain note when no finder is installed."""

from verbund.urls import urlpatterns as project_urlpatterns

urlpatterns = [p for p in project_urlpatterns if getattr(p, "namespace", None) != "finder"]
