"""A URL configuration for tests: the project's URLs plus a stand-in for the finder's
`finder:responsibility` page, as the finder app provides it."""

from django.http import HttpResponse
from django.urls import include, path

from verbund.urls import urlpatterns as project_urlpatterns

finder_patterns = (
    [
        path(
            "leistungen/<str:slug>/zustaendigkeit",
            lambda request, slug: HttpResponse("finder"),
            name="responsibility",
        )
    ],
    "finder",
)

urlpatterns = [path("", include(finder_patterns)), *project_urlpatterns]
