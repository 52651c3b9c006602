"""Accounts of the Servicekonto: citizens, organisations, authority staff, Land operators."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.accounts.rules import LoginMethod, TrustLevel
from verbund.core.encryption import EncryptedDateField, EncryptedTextField
from verbund.core.models import TimeStampedModel


class User(AbstractUser):
    """One login. What the holder may do follows from `kind` and, for staff, from their
    memberships in authorities (`authorities.StaffMembership`).

    Names and addresses live encrypted in `Profile`; `first_name`/`last_name` of Django's
    user stay empty for citizens (staff may keep their work name there)."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Bürgerin oder Bürger")
        ORGANISATION = "organisation", _("Organisation")
        STAFF = "staff", _("Beschäftigte einer Behörde")
        OPERATOR = "operator", _("Betrieb der Landesplattform")

    kind = models.CharField(
        _("Kontoart"), max_length=20, choices=Kind.choices, default=Kind.CITIZEN
    )
    email_verified_at = models.DateTimeField(_("E-Mail bestätigt am"), null=True, blank=True)
    trust_level = models.CharField(
        _("höchstes nachgewiesenes Vertrauensniveau"),
        max_length=20,
        choices=TrustLevel.choices,
        default=TrustLevel.BASIC,
    )

    class Meta:
        verbose_name = _("Konto")
        verbose_name_plural = _("Konten")

    def __str__(self) -> str:
        return self.get_username()

    @property
    def is_citizen_like(self) -> bool:
        return self.kind in {self.Kind.CITIZEN, self.Kind.ORGANISATION}


class Profile(TimeStampedModel):
    """Personal data of the holder, encrypted at rest (see `encryption.py`). Forms are
    prefilled from it only with the holder's consent per use (`PrefillConsent`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    given_name = EncryptedTextField(_("Vorname"), blank=True)
    family_name = EncryptedTextField(_("Familienname"), blank=True)
    birth_date = EncryptedDateField(_("Geburtsdatum"), blank=True, null=True)
    street = EncryptedTextField(_("Straße und Hausnummer"), blank=True)
    postal_code = EncryptedTextField(_("Postleitzahl"), blank=True)
    city = EncryptedTextField(_("Ort"), blank=True)
    source = models.CharField(
        _("Herkunft der Angaben"),
        max_length=20,
        choices=[("self", _("selbst eingetragen")), *LoginMethod.choices],
        default="self",
    )

    class Meta:
        verbose_name = _("Profil")
        verbose_name_plural = _("Profile")

    def __str__(self) -> str:
        return f"Profil von {self.user}"

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)


class Organisation(TimeStampedModel):
    """A business or association that acts through one or more person logins."""

    class LegalForm(models.TextChoices):
        EINZELUNTERNEHMEN = "einzelunternehmen", _("Einzelunternehmen")
        GBR = "gbr", _("Gesellschaft bürgerlichen Rechts (GbR)")
        OHG = "ohg", _("Offene Handelsgesellschaft (OHG)")
        KG = "kg", _("Kommanditgesellschaft (KG)")
        GMBH = "gmbh", _("GmbH")
        UG = "ug", _("UG (haftungsbeschränkt)")
        AG = "ag", _("Aktiengesellschaft (AG)")
        EG = "eg", _("Eingetragene Genossenschaft (eG)")
        EV = "ev", _("Eingetragener Verein (e. V.)")
        STIFTUNG = "stiftung", _("Stiftung")
        SONSTIGE = "sonstige", _("Sonstige Rechtsform")

    name = models.CharField(_("Name"), max_length=200)
    legal_form = models.CharField(_("Rechtsform"), max_length=30, choices=LegalForm.choices)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200)
    postal_code = models.CharField(_("Postleitzahl"), max_length=5)
    city = models.CharField(_("Ort"), max_length=120)
    register_number = models.CharField(
        _("Registernummer"),
        max_length=60,
        blank=True,
        help_text=_("Handels-, Vereins- oder Genossenschaftsregister, z. B. HRB 12345."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="OrganisationMember",
        related_name="organisations",
        verbose_name=_("handelnde Personen"),
    )

    class Meta:
        verbose_name = _("Organisation")
        verbose_name_plural = _("Organisationen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationMember(TimeStampedModel):
    """A person login acting for an organisation. Administrators add and remove others."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Verwaltung des Organisationskontos")
        REPRESENTATIVE = "representative", _("handelt für die Organisation")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_memberships"
    )
    role = models.CharField(
        _("Rolle"), max_length=20, choices=Role.choices, default=Role.REPRESENTATIVE
    )

    class Meta:
        verbose_name = _("handelnde Person")
        verbose_name_plural = _("handelnde Personen")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="organisation_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} für {self.organisation}"


class TotpDevice(TimeStampedModel):
    """A TOTP authenticator (RFC 6238, 30 s, 6 digits). Confirmed once a first code matched."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = EncryptedTextField(_("Geheimnis"))
    confirmed_at = models.DateTimeField(_("eingerichtet am"), null=True, blank=True)
    # The last accepted time step: a code is never accepted twice (RFC 6238 §5.2).
    last_used_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("TOTP-Authenticator")
        verbose_name_plural = _("TOTP-Authenticatoren")

    def __str__(self) -> str:
        return f"TOTP für {self.user}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class Passkey(TimeStampedModel):
    """A WebAuthn credential (passkey or security key) registered for the account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("Bezeichnung"), max_length=80)
    credential_id = models.CharField(_("Credential-ID"), max_length=1400, unique=True)
    public_key = models.BinaryField(_("öffentlicher Schlüssel (COSE)"))
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    last_used_at = models.DateTimeField(_("zuletzt benutzt"), null=True, blank=True)

    class Meta:
        verbose_name = _("Passkey")
        verbose_name_plural = _("Passkeys")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class FederatedIdentity(TimeStampedModel):
    """A login at an external identity provider linked to the account: BundID (subject =
    bPK2, the stable pseudonym) or an OpenID Connect provider (subject = `sub`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities"
    )
    provider = models.CharField(
        _("Identitätsanbieter"),
        max_length=60,
        help_text=_("`bundid` or `oidc:<name>`."),
    )
    subject = models.CharField(_("Kennung beim Anbieter"), max_length=255)
    trust_level = models.CharField(
        _("Vertrauensniveau der letzten Anmeldung"),
        max_length=20,
        choices=TrustLevel.choices,
        default=TrustLevel.BASIC,
    )
    postkorb_handle = models.CharField(_("Postkorb-Handle"), max_length=255, blank=True)
    last_login_at = models.DateTimeField(_("letzte Anmeldung"), null=True, blank=True)

    class Meta:
        verbose_name = _("verknüpfte Identität")
        verbose_name_plural = _("verknüpfte Identitäten")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} für {self.user}"


class LoginAttempt(models.Model):
    """A failed login or second-factor attempt. Counted per account and per client
    address within a window; kept in the database so every app server sees the same
    count (login throttling)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    stage = models.CharField(max_length=20, default="password")

    class Meta:
        verbose_name = _("fehlgeschlagene Anmeldung")
        verbose_name_plural = _("fehlgeschlagene Anmeldungen")
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["ip_address", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username}"


class ThrottleKey(models.Model):
    """One row per throttled key (a login name, a client address, a reset-mail address).
    Checking and counting an attempt first updates this row, which serialises parallel
    attempts for the key on every database (row lock on PostgreSQL, write lock on SQLite):
    the limit holds even for attempts that arrive at the same instant."""

    key = models.CharField(max_length=300, primary_key=True)
    touched_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Drosselungsschlüssel")
        verbose_name_plural = _("Drosselungsschlüssel")

    def __str__(self) -> str:
        return self.key


class PrefillConsent(TimeStampedModel):
    """The holder's consent to prefill one form once with named profile fields."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prefill_consents"
    )
    token = models.CharField(max_length=64, unique=True)
    fields = models.JSONField(_("freigegebene Angaben"))
    purpose = models.CharField(_("Zweck"), max_length=300)
    # The level of the login that gave the consent, not the account's best ever: a form
    # may only treat prefilled values as proven as far as this session proved them.
    trust_level = models.CharField(
        _("Vertrauensniveau der Anmeldung"),
        max_length=20,
        choices=TrustLevel.choices,
        default=TrustLevel.BASIC,
    )
    expires_at = models.DateTimeField(_("gültig bis"))
    used_at = models.DateTimeField(_("verwendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Einwilligung zum Vorausfüllen")
        verbose_name_plural = _("Einwilligungen zum Vorausfüllen")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.purpose}"


class ProviderLogin(TimeStampedModel):
    """How the holder authenticated when approving one authorization request of a
    connected service (Verbund as OpenID provider). The ID token, userinfo and refreshed
    tokens take `acr`, `trust_level` and `auth_time` from here, never from the account's
    best login ever. `code_hash` finds it at the code exchange (and detects a reused code),
    `token_family` for the tokens issued from that code."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_logins"
    )
    client_id = models.CharField(max_length=100)
    code_hash = models.CharField(max_length=64, unique=True)
    method = models.CharField(_("Anmeldeverfahren"), max_length=60)
    trust_level = models.CharField(
        _("Vertrauensniveau dieser Anmeldung"), max_length=20, choices=TrustLevel.choices
    )
    authenticated_at = models.DateTimeField(_("angemeldet am"))
    redeemed_at = models.DateTimeField(_("Code eingelöst am"), null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("Anmeldung bei einem angeschlossenen Dienst")
        verbose_name_plural = _("Anmeldungen bei angeschlossenen Diensten")

    def __str__(self) -> str:
        return f"{self.user} bei {self.client_id}"


class PairwiseSubject(models.Model):
    """The `sub` a connected service sees for an account (OpenID Connect Core §8.1,
    pairwise): random, different per service and stable for good, so services cannot
    link their users through it and it does not reveal the account number."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pairwise_subjects"
    )
    client_id = models.CharField(max_length=100)
    subject = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("pseudonyme Kennung für einen Dienst")
        verbose_name_plural = _("pseudonyme Kennungen für Dienste")
        constraints = [
            models.UniqueConstraint(fields=["user", "client_id"], name="pairwise_subject_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} bei {self.client_id}"
