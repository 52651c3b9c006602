"""Organisationseinheiten (authorities): the tenants of the platform."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.authorities.rules import InvalidLeitwegId, parse_leitweg_id
from verbund.core.models import TimeStampedModel
from verbund.gebiete.types import Gebiet


class AuthorityKind(models.TextChoices):
    GEMEINDEVERWALTUNG = "gemeindeverwaltung", _("Gemeindeverwaltung")
    STADTVERWALTUNG = "stadtverwaltung", _("Stadtverwaltung")
    VG_VERWALTUNG = "vg_verwaltung", _("Verwaltung der Verwaltungsgemeinschaft")
    LANDRATSAMT = "landratsamt", _("Landratsamt")
    LANDESBEHOERDE = "landesbehoerde", _("Landesbehörde")
    MINISTERIUM = "ministerium", _("Ministerium")
    GERICHT = "gericht", _("Gericht")
    FINANZAMT = "finanzamt", _("Finanzamt")
    ANSTALT = "anstalt", _("Anstalt oder Körperschaft des öffentlichen Rechts")
    BUNDESBEHOERDE = "bundesbehoerde", _("Bundesbehörde")


class TenantStatus(models.TextChoices):
    JOINED = "joined", _("nimmt teil")
    NOT_JOINED = "not_joined", _("nimmt nicht teil")


def validate_leitweg_id(value: str) -> None:
    try:
        parse_leitweg_id(value)
    except InvalidLeitwegId as exc:
        raise ValidationError(exc.message, code=exc.code) from None


class Authority(TimeStampedModel):
    """An Organisationseinheit: an office that provides services for an area."""

    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    name = models.CharField(_("Name"), max_length=200)
    kind = models.CharField(_("Art"), max_length=30, choices=AuthorityKind.choices)
    gebiet = models.ForeignKey(
        Gebiet,
        verbose_name=_("Gebiet"),
        on_delete=models.PROTECT,
        related_name="authorities",
        help_text=_("The area the authority serves: Gemeinde, Verband, Kreis or Land."),
    )
    postal_street = models.CharField(
        _("Postanschrift: Straße oder Postfach"), max_length=200, blank=True
    )
    postal_code = models.CharField(_("Postanschrift: PLZ"), max_length=5, blank=True)
    postal_city = models.CharField(_("Postanschrift: Ort"), max_length=120, blank=True)
    visitor_street = models.CharField(_("Besucheranschrift: Straße"), max_length=200, blank=True)
    visitor_code = models.CharField(_("Besucheranschrift: PLZ"), max_length=5, blank=True)
    visitor_city = models.CharField(_("Besucheranschrift: Ort"), max_length=120, blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    fax = models.CharField(_("Fax"), max_length=40, blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    website = models.URLField(_("Internetseite"), blank=True)
    opening_hours = models.TextField(_("Öffnungszeiten"), blank=True)
    tenant_status = models.CharField(
        _("Teilnahme an der Plattform"),
        max_length=20,
        choices=TenantStatus.choices,
        default=TenantStatus.NOT_JOINED,
    )
    joined_on = models.DateField(_("teilnehmend seit"), null=True, blank=True)
    is_demo_data = models.BooleanField(
        _("Demodaten"),
        default=False,
        help_text=_("Addresses and contacts are plausible placeholders, not real data."),
    )

    class Meta:
        verbose_name = _("Behörde")
        verbose_name_plural = _("Behörden")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_tenant(self) -> bool:
        return self.tenant_status == TenantStatus.JOINED


class LeitwegIdentifier(TimeStampedModel):
    """A Leitweg-ID under which the authority receives e-invoices (XRechnung BT-10)."""

    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        related_name="leitweg_ids",
    )
    value = models.CharField(
        _("Leitweg-ID"), max_length=46, unique=True, validators=[validate_leitweg_id]
    )
    description = models.CharField(_("Beschreibung"), max_length=200, blank=True)
    active = models.BooleanField(_("aktiv"), default=True)
    # Kept, not deleted: invoices received under the ID stay linked to it, and a supplier
    # who still sends to it learns since when and why the invoice is refused.
    deactivated_at = models.DateTimeField(_("deaktiviert am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Leitweg-ID")
        verbose_name_plural = _("Leitweg-IDs")
        ordering = ["value"]

    def __str__(self) -> str:
        return self.value


class StaffRole(models.TextChoices):
    CLERK = "sachbearbeitung", _("Sachbearbeitung")
    LEAD = "leitung", _("Leitung")
    ADMIN = "administration", _("Administration der Behörde")


class StaffMembership(TimeStampedModel):
    """A staff account's membership in one authority, with its role there.

    Every read of tenant data is scoped by these rows (see `authorities.queries`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(
        _("Rolle"), max_length=20, choices=StaffRole.choices, default=StaffRole.CLERK
    )
    active = models.BooleanField(_("aktiv"), default=True)
    service_areas = models.JSONField(
        _("Aufgabengebiete"),
        default=list,
        blank=True,
        help_text=_(
            "Optional: LeiKa-Schlüssel oder ihre Anfänge (z. B. 99102013 für die Hundesteuer), "
            "die das Mitglied bearbeitet. Leer: alle Leistungen der Behörde."
        ),
    )

    class Meta:
        verbose_name = _("Mitgliedschaft")
        verbose_name_plural = _("Mitgliedschaften")
        constraints = [
            models.UniqueConstraint(fields=["user", "authority"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.authority} ({self.get_role_display()})"

    def covers_service(self, leika_key: str) -> bool:
        """Whether the member's service areas include the service (all when none set)."""
        return not self.service_areas or any(
            leika_key.startswith(str(prefix)) for prefix in self.service_areas
        )


class KeyProtection(models.TextChoices):
    PLATFORM = "platform", _("mit dem Schlüsselschlüssel der Plattform verschlüsselt")
    PASSPHRASE = "passphrase", _("mit der Passphrase der Behörde verschlüsselt")
    STAFF = "staff", _("nur von den Mitarbeitenden der Behörde gehalten (je Person verschlüsselt)")
    EXTERNAL = "external", _("nur bei der Behörde (nur öffentlicher Schlüssel hinterlegt)")


class EncryptionKey(TimeStampedModel):
    """An authority's key pair for end-to-end encrypted submissions (FIT-Connect: the
    destination's encryption key). Senders encrypt to `public_jwk`; the private key is stored
    only wrapped (see `protection`), or not at all when the authority keeps it itself."""

    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.PROTECT,
        related_name="encryption_keys",
    )
    kid = models.CharField(_("Schlüssel-ID"), max_length=64, unique=True)
    public_jwk = models.JSONField(_("öffentlicher Schlüssel (JWK)"))
    wrapped_private_key = models.TextField(_("privater Schlüssel, verschlüsselt (JWE)"), blank=True)
    protection = models.CharField(_("Schutz"), max_length=20, choices=KeyProtection.choices)
    active = models.BooleanField(_("aktiv"), default=True)
    retired_at = models.DateTimeField(_("außer Dienst seit"), null=True, blank=True)

    class Meta:
        verbose_name = _("Verschlüsselungsschlüssel")
        verbose_name_plural = _("Verschlüsselungsschlüssel")
        constraints = [
            models.UniqueConstraint(
                fields=["authority"],
                condition=models.Q(active=True),
                name="encryption_key_one_active_per_authority",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} · {self.kid}"


class StaffKey(TimeStampedModel):
    """A staff member's own key pair (X25519). The private half is stored only wrapped with a
    key derived (scrypt, parameters in `kdf`) from the member's key passphrase, which the
    platform never stores. Authority keys are sealed to `public_jwk` (see StaffKeyWrap)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto"),
        on_delete=models.CASCADE,
        related_name="staff_key",
    )
    public_jwk = models.JSONField(_("öffentlicher Schlüssel (JWK)"))
    wrapped_private_key = models.TextField(_("privater Schlüssel, verschlüsselt (JWE)"))
    kdf = models.JSONField(_("Schlüsselableitung"))

    class Meta:
        verbose_name = _("persönlicher Schlüssel")
        verbose_name_plural = _("persönliche Schlüssel")

    def __str__(self) -> str:
        return str(self.user)


class StaffKeyWrap(TimeStampedModel):
    """An authority's private key sealed to one member's StaffKey: one row per member who
    may decrypt. Deleting the row takes the member's access away."""

    key = models.ForeignKey(
        EncryptionKey,
        verbose_name=_("Verschlüsselungsschlüssel"),
        on_delete=models.CASCADE,
        related_name="staff_wraps",
    )
    membership = models.ForeignKey(
        StaffMembership,
        verbose_name=_("Mitgliedschaft"),
        on_delete=models.CASCADE,
        related_name="key_wraps",
    )
    sealed_private_key = models.TextField(_("privater Schlüssel, versiegelt (JWE)"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gewährt von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Schlüsselfreigabe")
        verbose_name_plural = _("Schlüsselfreigaben")
        constraints = [
            models.UniqueConstraint(fields=["key", "membership"], name="key_wrap_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key.kid} → {self.membership}"
