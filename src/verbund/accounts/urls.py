from django.urls import path

from verbund.accounts import views

app_name = "accounts"
urlpatterns = [
    path("konto/", views.account, name="account"),
    path("konto/anmelden/", views.login_view, name="login"),
    path("konto/abmelden/", views.logout_view, name="logout"),
    path("konto/registrieren/", views.register, name="register"),
    path(
        "konto/registrieren/organisation/",
        views.register,
        {"organisation": True},
        name="register_organisation",
    ),
    path("konto/bestaetigen/<str:token>/", views.verify_email, name="verify_email"),
    path("konto/bestaetigung-anfordern/", views.resend_verification, name="resend_verification"),
    path("konto/passwort-vergessen/", views.password_reset, name="password_reset"),
    path(
        "konto/passwort-neu/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("konto/einladung/<str:token>/", views.staff_invitation, name="staff_invitation"),
    path("konto/profil/", views.profile_edit, name="profile"),
    path("konto/export/", views.export, name="export"),
    path("konto/loeschen/", views.delete_account, name="delete"),
    path("konto/organisation/<int:pk>/", views.organisation, name="organisation"),
    path("konto/zweiter-faktor/", views.second_factor, name="second_factor"),
    path(
        "konto/zweiter-faktor/passkey/optionen/",
        views.second_factor_passkey_options,
        name="second_factor_passkey_options",
    ),
    path(
        "konto/zweiter-faktor/passkey/", views.second_factor_passkey, name="second_factor_passkey"
    ),
    path("konto/sicherheit/totp/", views.totp_setup, name="totp_setup"),
    path("konto/sicherheit/totp/entfernen/", views.totp_remove, name="totp_remove"),
    path(
        "konto/sicherheit/passkeys/optionen/",
        views.passkey_register_options,
        name="passkey_register_options",
    ),
    path("konto/sicherheit/passkeys/", views.passkey_register, name="passkey_register"),
    path(
        "konto/sicherheit/passkeys/<int:pk>/entfernen/",
        views.passkey_remove,
        name="passkey_remove",
    ),
    path("konto/identitaeten/<int:pk>/entfernen/", views.identity_unlink, name="identity_unlink"),
    path("konto/einwilligung/vorausfuellen/", views.prefill_consent, name="prefill_consent"),
    path("konto/saml/anmelden/", views.saml_login, name="saml_login"),
    path("konto/saml/acs/", views.saml_acs, name="saml_acs"),
    path("konto/saml/metadata/", views.saml_metadata, name="saml_metadata"),
    path("konto/anmelden/oidc/<slug:name>/", views.oidc_login, name="oidc_login"),
    path("konto/anmelden/oidc/<slug:name>/antwort/", views.oidc_callback, name="oidc_callback"),
]
