"""The cooperation of the Land and its authorities: who takes part in the Verbund (with the
accepted agreement), which shared online services each authority has activated, and the
Land's funding programme with its budget ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.applications.types import FormVersion
from verbund.authorities.types import Authority
from verbund.catalogue.types import Service
from verbund.core.models import TimeStampedModel
from verbund.gebiete.types import Gebiet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _acting_account(
    verbose_name: StrOrPromise, *, required: bool = False
) -> models.ForeignKey[Any, Any]:
    """The account that took a step (invited, decided, reviewed…): kept while the record
    refers to it, optional until the step is taken."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=not required,
        blank=not required,
        related_name="+",
    )


class LandOperator(TimeStampedModel):
    """An operator account (kind `operator`) and the Land whose console it may use."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto"),
        on_delete=models.CASCADE,
        related_name="operated_lands",
    )
    land = models.ForeignKey(
        Gebiet, verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("Betrieb eines Landes")
        verbose_name_plural = _("Betrieb der Länder")
        constraints = [
            models.UniqueConstraint(fields=["user", "land"], name="land_operator_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.land}"


class MembershipState(models.TextChoices):
    INVITED = "invited", _("eingeladen")
    MEMBER = "member", _("Mitglied")
    LEFT = "left", _("ausgetreten")


class Membership(TimeStampedModel):
    """An authority's part in the Verbund: invited by the Land, member once its
    administrator accepted the cooperation agreement, left when it leaves (nothing of its
    data is deleted; its services stop being offered online)."""

    authority = models.OneToOneField(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.PROTECT,
        related_name="cooperation_membership",
    )
    land = models.ForeignKey(
        Gebiet, verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("Stand"), max_length=10, choices=MembershipState.choices)
    invited_at = models.DateTimeField(_("eingeladen am"))
    invited_by = _acting_account(_("eingeladen von"))
    agreement_version = models.CharField(
        _("angenommene Fassung der Kooperationsvereinbarung"), max_length=20, blank=True
    )
    accepted_at = models.DateTimeField(_("angenommen am"), null=True, blank=True)
    accepted_by = _acting_account(_("angenommen von"))
    contact_name = models.CharField(_("Ansprechperson"), max_length=200, blank=True)
    contact_email = models.EmailField(_("E-Mail der Ansprechperson"), blank=True)
    left_at = models.DateTimeField(_("ausgetreten am"), null=True, blank=True)
    leave_reason = models.TextField(_("Grund des Austritts"), blank=True)

    class Meta:
        verbose_name = _("Mitgliedschaft im Verbund")
        verbose_name_plural = _("Mitgliedschaften im Verbund")

    def __str__(self) -> str:
        return f"{self.authority} ({self.get_state_display()})"


class SharedService(TimeStampedModel):
    """An online service the Land offers for adoption ("Einer für Alle" within the Land):
    a published form version that every responsible authority may activate for its area."""

    land = models.ForeignKey(
        Gebiet, verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("Leistung"), on_delete=models.PROTECT, related_name="+"
    )
    form_version = models.ForeignKey(
        FormVersion, verbose_name=_("Formularversion"), on_delete=models.PROTECT, related_name="+"
    )
    fee_set_locally = models.BooleanField(
        _("Gebühr legt die Kommune fest"),
        default=False,
        help_text=_("Wenn das Recht die Höhe der Gebühr der Kommune überlässt."),
    )
    published_at = models.DateTimeField(_("zur Übernahme bereitgestellt am"))

    class Meta:
        verbose_name = _("Online-Dienst zur Übernahme")
        verbose_name_plural = _("Online-Dienste zur Übernahme")
        ordering = ["service__name"]
        constraints = [
            models.UniqueConstraint(fields=["land", "service"], name="shared_service_unique"),
        ]

    def __str__(self) -> str:
        return str(self.service)


class ActivationStatus(models.TextChoices):
    ACTIVE = "active", _("freigeschaltet")
    PAUSED = "paused", _("pausiert")


class Activation(TimeStampedModel):
    """A responsible authority offers a shared online service in its area, on its terms."""

    shared_service = models.ForeignKey(
        SharedService,
        verbose_name=_("Online-Dienst"),
        on_delete=models.PROTECT,
        related_name="activations",
    )
    authority = models.ForeignKey(
        Authority, verbose_name=_("Behörde"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("Stand"), max_length=10, choices=ActivationStatus.choices)
    fee = models.DecimalField(
        _("Gebühr der Kommune"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    contact = models.CharField(_("Kontakt für Rückfragen"), max_length=200)
    processing_days = models.PositiveSmallIntegerField(_("Bearbeitungsfrist in Tagen"))
    activated_at = models.DateTimeField(_("freigeschaltet am"))

    class Meta:
        verbose_name = _("Freischaltung")
        verbose_name_plural = _("Freischaltungen")
        constraints = [
            models.UniqueConstraint(
                fields=["shared_service", "authority"], name="activation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shared_service} · {self.authority} ({self.get_status_display()})"


class FundingProgramme(TimeStampedModel):
    """A funding programme of the Land (e.g. the ThürEGovRL): the frame of its calls, several
    a year; the funding report sums a programme's calls."""

    land = models.ForeignKey(
        Gebiet, verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("Titel"), max_length=200)

    class Meta:
        verbose_name = _("Förderprogramm")
        verbose_name_plural = _("Förderprogramme")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["land", "title"], name="funding_programme_unique")
        ]

    def __str__(self) -> str:
        return self.title


class FundingCall(TimeStampedModel):
    """A call of one of the Land's funding programmes for one budget year."""

    land = models.ForeignKey(
        Gebiet, verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey(
        FundingProgramme,
        verbose_name=_("Förderprogramm"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
    )
    title = models.CharField(_("Titel"), max_length=200)
    year = models.PositiveSmallIntegerField(_("Haushaltsjahr"))
    budget = models.DecimalField(_("Budget"), max_digits=14, decimal_places=2)
    min_amount = models.DecimalField(_("Mindestbetrag"), max_digits=12, decimal_places=2)
    max_amount = models.DecimalField(_("Höchstbetrag"), max_digits=12, decimal_places=2)
    rate_percent = models.DecimalField(
        _("Fördersatz in Prozent der zuwendungsfähigen Ausgaben"), max_digits=5, decimal_places=2
    )
    closes_on = models.DateField(_("Antragsfrist"), null=True, blank=True)
    is_open = models.BooleanField(_("offen für Anträge"), default=True)

    class Meta:
        verbose_name = _("Förderaufruf")
        verbose_name_plural = _("Förderaufrufe")
        ordering = ["-year", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class FundingStatus(models.TextChoices):
    SUBMITTED = "submitted", _("eingegangen")
    INFO_REQUESTED = "info_requested", _("Rückfrage offen")
    APPROVED = "approved", _("bewilligt")
    REJECTED = "rejected", _("abgelehnt")
    WITHDRAWN = "withdrawn", _("zurückgezogen")
    SETTLED = "settled", _("abgerechnet")


class FundingApplication(TimeStampedModel):
    """A Kommune's application to a call, usually arriving through the `egov-foerderung`
    form (then linked to its submission)."""

    call = models.ForeignKey(
        FundingCall,
        verbose_name=_("Förderaufruf"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    applicant = models.ForeignKey(
        Authority,
        verbose_name=_("antragstellende Kommune"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submission = models.OneToOneField(
        "applications.Submission",
        verbose_name=_("Antrag auf der Plattform"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("Vorhaben"), max_length=300)
    eligible_costs = models.DecimalField(
        _("zuwendungsfähige Ausgaben"), max_digits=14, decimal_places=2
    )
    requested_amount = models.DecimalField(
        _("beantragte Zuwendung"), max_digits=12, decimal_places=2
    )
    status = models.CharField(
        _("Stand"), max_length=20, choices=FundingStatus.choices, default=FundingStatus.SUBMITTED
    )
    partners = models.ManyToManyField(
        "authorities.Authority",
        verbose_name=_("beteiligte Kommunen (gemeinsamer Antrag)"),
        blank=True,
        related_name="+",
        help_text=_("Die antragstellende Kommune führt den gemeinsamen Antrag."),
    )
    early_start_permitted_at = models.DateTimeField(
        _("vorzeitiger Maßnahmebeginn zugelassen am"), null=True, blank=True
    )
    info_request = models.TextField(_("Rückfrage des Landes"), blank=True)
    info_requested_at = models.DateTimeField(_("Rückfrage gestellt am"), null=True, blank=True)
    info_answer = models.TextField(_("Antwort der Kommune"), blank=True)
    info_answered_at = models.DateTimeField(_("Rückfrage beantwortet am"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("eingegangen am"))
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    decided_by = _acting_account(_("entschieden von"))
    approved_amount = models.DecimalField(
        _("bewilligte Zuwendung"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    reason = models.TextField(_("Begründung"), blank=True)
    # The Schlussbescheid after the accepted Verwendungsnachweis: the grant as finally set
    # (what was paid); the rest of the commitment is released in the ledger.
    final_amount = models.DecimalField(
        _("endgültige Zuwendung"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    final_notice_at = models.DateTimeField(_("Schlussbescheid vom"), null=True, blank=True)

    class Meta:
        verbose_name = _("Förderantrag")
        verbose_name_plural = _("Förderanträge")
        ordering = ["submitted_at"]

    def __str__(self) -> str:
        return f"{self.applicant} · {self.title}"


class FundingReviewer(TimeStampedModel):
    """A reviewer of the Land's funding programme: sees and decides only the applications
    of the calls assigned to them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto"),
        on_delete=models.CASCADE,
        related_name="funding_reviews",
    )
    call = models.ForeignKey(
        FundingCall, verbose_name=_("Förderaufruf"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("Prüfung im Förderprogramm")
        verbose_name_plural = _("Prüfungen im Förderprogramm")
        constraints = [
            models.UniqueConstraint(fields=["user", "call"], name="funding_reviewer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.call}"


class ProofState(models.TextChoices):
    SUBMITTED = "submitted", _("eingereicht")
    ACCEPTED = "accepted", _("anerkannt")
    REJECTED = "rejected", _("zurückgewiesen")


class ProofOfUse(TimeStampedModel):
    """The Verwendungsnachweis of an approved application: the Kommune's actual costs and
    its report (PDF); accepting it pays out and frees what is not needed."""

    application = models.ForeignKey(
        FundingApplication,
        verbose_name=_("Förderantrag"),
        on_delete=models.PROTECT,
        related_name="proofs",
    )
    actual_costs = models.DecimalField(
        _("tatsächliche zuwendungsfähige Ausgaben"), max_digits=14, decimal_places=2
    )
    summary = models.TextField(_("Sachbericht (Kurzfassung)"))
    document_name = models.CharField(_("Dateiname"), max_length=200)
    document = models.CharField(_("Ablage"), max_length=300)
    document_sha256 = models.CharField(_("SHA-256"), max_length=64)
    scan_status = models.CharField(_("Virenprüfung"), max_length=20)
    state = models.CharField(
        _("Stand"), max_length=10, choices=ProofState.choices, default=ProofState.SUBMITTED
    )
    submitted_by = _acting_account(_("eingereicht von"))
    reviewed_by = _acting_account(_("geprüft von"))
    reviewed_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)
    review_note = models.TextField(_("Vermerk der Prüfung"), blank=True)
    paid_amount = models.DecimalField(
        _("ausgezahlt"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("Verwendungsnachweis")
        verbose_name_plural = _("Verwendungsnachweise")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_state_display()}"


class BookingKind(models.TextChoices):
    COMMITMENT = "commitment", _("Mittelbindung")
    DISBURSEMENT = "disbursement", _("Auszahlung")
    RELEASE = "release", _("Freigabe")


class Booking(models.Model):
    """One entry of a call's budget ledger. Entries are never changed or deleted; a
    correction is a new entry (a release frees committed money)."""

    call = models.ForeignKey(
        FundingCall,
        verbose_name=_("Förderaufruf"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    application = models.ForeignKey(
        FundingApplication,
        verbose_name=_("Förderantrag"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    kind = models.CharField(_("Art"), max_length=12, choices=BookingKind.choices)
    amount = models.DecimalField(_("Betrag"), max_digits=12, decimal_places=2)
    booked_at = models.DateTimeField(_("gebucht am"), auto_now_add=True)
    actor_label = models.CharField(_("gebucht von"), max_length=200)
    note = models.CharField(_("Vermerk"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Buchung")
        verbose_name_plural = _("Buchungen")
        ordering = ["booked_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="booking_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} €"


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", _("zur Prüfung")
    APPROVED = "approved", _("freigegeben")
    REJECTED = "rejected", _("abgelehnt")


class DistrictProposal(TimeStampedModel):
    """An editor's change to the district of a district office (a new district, new
    validity dates, or its end): it takes effect only when a second editor of the Land
    approves it (four eyes), and both steps are audited."""

    land = models.ForeignKey(
        "gebiete.Gebiet", verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.ForeignKey(
        "finder.OfficeKind",
        verbose_name=_("Art der Bezirksbehörde"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    office = models.ForeignKey(
        "authorities.Authority", verbose_name=_("Amt"), on_delete=models.PROTECT, related_name="+"
    )
    gebiet = models.ForeignKey(
        "gebiete.Gebiet", verbose_name=_("Gebiet"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)
    note = models.CharField(_("Hinweis für Bürgerinnen und Bürger"), max_length=300, blank=True)
    reason = models.CharField(_("Begründung der Änderung"), max_length=500)
    state = models.CharField(
        _("Stand"), max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    proposed_by = _acting_account(_("vorgeschlagen von"), required=True)
    reviewed_by = _acting_account(_("geprüft von"))
    reviewed_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)
    review_note = models.CharField(_("Vermerk der Prüfung"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Änderung eines Amtsbezirks")
        verbose_name_plural = _("Änderungen der Amtsbezirke")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.office} · {self.gebiet} ({self.get_state_display()})"


class TextState(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    REVIEW = "review", _("in Prüfung")
    PUBLISHED = "published", _("veröffentlicht")
    REJECTED = "rejected", _("zurückgewiesen")


class TextRevision(TimeStampedModel):
    """A version of one text field of a service: the Land's base text (no authority) or
    an authority's own text for its area. Draft → review → published by a second person
    (an editor of the Land); `previous` keeps the text it replaces, for the diff."""

    land = models.ForeignKey(
        "gebiete.Gebiet", verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        "catalogue.Service", verbose_name=_("Leistung"), on_delete=models.CASCADE, related_name="+"
    )
    authority = models.ForeignKey(
        "authorities.Authority",
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Leer: der Text des Landes."),
    )
    field_name = models.CharField(_("Textfeld"), max_length=40)
    text = models.TextField(_("Text"), blank=True)
    previous = models.TextField(_("bisheriger Text"), blank=True)
    version = models.PositiveIntegerField(_("Version"))
    state = models.CharField(
        _("Stand"), max_length=10, choices=TextState.choices, default=TextState.DRAFT
    )
    author = _acting_account(_("verfasst von"), required=True)
    submitted_at = models.DateTimeField(_("zur Prüfung gegeben am"), null=True, blank=True)
    reviewed_by = _acting_account(_("geprüft von"))
    reviewed_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)
    review_note = models.CharField(_("Vermerk der Prüfung"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Textversion")
        verbose_name_plural = _("Textversionen")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.service} · {self.field_name} v{self.version}"
