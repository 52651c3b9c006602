"""Verbund's OpenID provider endpoints (django-oauth-toolkit) under the namespace the
toolkit reverses (`oauth2_provider`). The discovery document sits at the origin's
`/.well-known/openid-configuration`, so the issuer is the origin itself."""

from django.urls import path, re_path
from oauth2_provider import views

from verbund.accounts import oidc_views

app_name = "oauth2_provider"
urlpatterns = [
    re_path(
        r"^\.well-known/openid-configuration/?$",
        oidc_views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("oidc/authorize/", oidc_views.AuthorizationView.as_view(), name="authorize"),
    path("oidc/token/", views.TokenView.as_view(), name="token"),
    path("oidc/revoke/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("oidc/introspect/", views.IntrospectTokenView.as_view(), name="introspect"),
    path("oidc/jwks.json", views.JwksInfoView.as_view(), name="jwks-info"),
    path("oidc/userinfo/", oidc_views.UserInfoView.as_view(), name="user-info"),
    path("oidc/logout/", views.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
]
