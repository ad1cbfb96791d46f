"""Identity: the organisation's settings for FranceConnect and self-registration, links awaiting staff, and the
requests of families who sign up themselves (their family file, kept here until staff accept, merge or refuse)."""
from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.models import TimeStampedModel


class IdentitySettings(models.Model):
    """One row: what the organisation allows (edited by staff in the admin)."""

    class LinkPolicy(models.TextChoices):
        EXACT = "exact", "Identité identique exigée (noms et date de naissance)"
        STAFF = "staff", "Écart possible, confirmé par le service"

    self_registration = models.BooleanField(
        "les familles peuvent créer leur compte", default=False,
        help_text="« Créer mon compte » sur la page de connexion ; le dossier arrive ici comme une demande à valider.",
    )
    link_policy = models.CharField(
        "liaison FranceConnect", max_length=5, choices=LinkPolicy.choices, default=LinkPolicy.EXACT,
        help_text="Quand l'identité FranceConnect diffère du dossier : refuser, ou laisser le service confirmer.",
    )

    class Meta:
        verbose_name = "réglages FranceConnect et création de compte"
        verbose_name_plural = "réglages FranceConnect et création de compte"

    def __str__(self):
        return "Réglages FranceConnect et création de compte"

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()


class PendingLink(models.Model):
    """A FranceConnect identity that differs from the guardian's file, waiting for staff to confirm the link."""

    class Status(models.TextChoices):
        PENDING = "pending", "À confirmer"
        APPROVED = "approved", "Confirmée"
        REFUSED = "refused", "Refusée"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="compte", on_delete=models.CASCADE,
                             related_name="franceconnect_pending_links")
    uid = models.CharField("identifiant FranceConnect (sub)", max_length=255)
    given_name = models.CharField("prénoms (FranceConnect)", max_length=200)
    family_name = models.CharField("nom (FranceConnect)", max_length=200)
    birthdate = models.CharField("date de naissance (FranceConnect)", max_length=10, blank=True)
    claims = models.JSONField("identité reçue", default=dict)
    differences = models.TextField("écarts avec le dossier")
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField("demandée le", default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="traitée par", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)

    class Meta:
        verbose_name = "liaison FranceConnect à confirmer"
        verbose_name_plural = "liaisons FranceConnect à confirmer"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.given_name} {self.family_name} → {self.user.email}"


class RegistrationRequest(TimeStampedModel):
    """The family file of a parent who created an account, until staff accept, merge or refuse it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "En cours de saisie"
        SUBMITTED = "submitted", "À traiter"
        ACCEPTED = "accepted", "Acceptée (nouvelle famille)"
        MERGED = "merged", "Rattachée à une famille existante"
        REFUSED = "refused", "Refusée"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="compte", on_delete=models.CASCADE,
                                related_name="registration_request")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    data = models.JSONField("dossier saisi", default=dict)
    identity = models.JSONField("identité FranceConnect", default=dict, blank=True)
    submitted_at = models.DateTimeField("envoyée le", null=True, blank=True, db_index=True)
    family = models.ForeignKey("families.Family", verbose_name="famille", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="traitée par", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    refusal_reason = models.TextField("motif du refus", blank=True)

    class Meta:
        verbose_name = "demande de création de dossier"
        verbose_name_plural = "demandes de création de dossier"
        ordering = ["-submitted_at", "-created_at"]

    def __str__(self):
        return f"Demande de {self.family_name or self.user.email}"

    @property
    def is_open(self):
        return self.status in (self.Status.DRAFT, self.Status.SUBMITTED)

    @property
    def family_name(self):
        guardians = self.data.get("guardians") or []
        return guardians[0].get("last_name", "") if guardians else ""


class RegistrationMessage(models.Model):
    """A message between the parent and the service about a request (the parent has no family thread yet)."""
    request = models.ForeignKey(RegistrationRequest, verbose_name="demande", on_delete=models.CASCADE,
                                related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="auteur", null=True, on_delete=models.SET_NULL,
                               related_name="+")
    from_staff = models.BooleanField("du service", default=False)
    body = models.TextField("message")
    created_at = models.DateTimeField("envoyé le", default=timezone.now)

    class Meta:
        verbose_name = "message sur une demande"
        verbose_name_plural = "messages sur une demande"
        ordering = ["created_at"]

    def __str__(self):
        return self.body[:60]
