from django.urls import path

from verbund.mailbox import views

app_name = "mailbox"
urlpatterns = [
    path("postfach/", views.index, name="index"),
    path("postfach/vorgang/", views.anonymous_access, name="anonymous_access"),
    path("postfach/vorgang/<str:number>/", views.anonymous_index, name="anonymous_index"),
    path(
        "postfach/vorgang/<str:number>/<uuid:pk>/",
        views.anonymous_message,
        name="anonymous_message",
    ),
    path(
        "postfach/vorgang/<str:number>/<uuid:pk>/anhang/<uuid:attachment_id>/",
        views.anonymous_attachment,
        name="anonymous_attachment",
    ),
    path("postfach/<uuid:pk>/", views.message, name="message"),
    path("postfach/<uuid:pk>/anhang/<uuid:attachment_id>/", views.attachment, name="attachment"),
]
