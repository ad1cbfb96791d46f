"""Family documents, versioned consents and the yearly renewal of the family file.

The tables were created when these models lived in ``families``: each ``Meta.db_table`` keeps that name
(migrations ``families.0004`` and ``documents.0001`` moved the models without touching the database).
"""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from families.models import FamilyOwnedQuerySet


def family_document_path(instance, filename):
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class DocumentType(models.Model):
    """A document the service asks families for (justificatif de domicile, attestation d'assurance…)."""

    name = models.CharField("nom", max_length=150, unique=True)
    description = models.CharField("précisions", max_length=300, blank=True)
    is_required = models.BooleanField("obligatoire", default=True)
    validity_months = models.PositiveSmallIntegerField(
        "validité (mois)", null=True, blank=True, help_text="Vide : le document n'expire pas."
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)
    is_active = models.BooleanField("demandé", default=True)

    class Meta:
        db_table = "families_documenttype"
        verbose_name = "type de document"
        verbose_name_plural = "types de documents demandés"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class FamilyDocument(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Reçu, en cours de vérification"
        ACCEPTED = "accepted", "Accepté"
        REFUSED = "refused", "Refusé"

    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE, related_name="documents")
    objects = FamilyOwnedQuerySet.as_manager()
    document_type = models.ForeignKey(
        DocumentType, verbose_name="type de document", on_delete=models.PROTECT, related_name="documents"
    )
    file = models.FileField("fichier", upload_to=family_document_path)
    original_name = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField("type", max_length=50)
    size = models.PositiveIntegerField("taille (octets)")
    uploaded_at = models.DateTimeField("déposé le", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="déposé par", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    refusal_reason = models.CharField("motif du refus", max_length=300, blank=True)
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="vérifié par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("vérifié le", null=True, blank=True)

    class Meta:
        db_table = "families_familydocument"
        verbose_name = "document de la famille"
        verbose_name_plural = "documents des familles"
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["family", "document_type", "-uploaded_at"])]

    def __str__(self):
        return f"{self.document_type} – {self.family}"


class ConsentVersion(models.Model):
    """One published version of a text families accept online. The newest version of a kind is current."""

    class Kind(models.TextChoices):
        RULES = "rules", "Règlement intérieur"
        IMAGE = "image", "Droit à l'image"
        HEALTH = "health", "Traitement des données de santé"

    kind = models.CharField("texte", max_length=10, choices=Kind.choices)
    version = models.PositiveSmallIntegerField("version")
    title = models.CharField("titre", max_length=200)
    text = models.TextField("texte soumis à l'accord")
    published_at = models.DateTimeField("publiée le", default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="publiée par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "families_consentversion"
        verbose_name = "version d'un consentement"
        verbose_name_plural = "consentements (versions)"
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="consent_unique_version")]

    def __str__(self):
        return f"{self.get_kind_display()} – version {self.version}"


class ConsentAcceptance(models.Model):
    version = models.ForeignKey(ConsentVersion, verbose_name="version", on_delete=models.PROTECT, related_name="acceptances")
    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE, related_name="consents")
    objects = FamilyOwnedQuerySet.as_manager()
    guardian = models.ForeignKey(
        "families.Guardian", verbose_name="responsable", on_delete=models.CASCADE, related_name="consents"
    )
    accepted = models.BooleanField("accepté", default=True)
    answered_at = models.DateTimeField("répondu le", default=timezone.now)

    class Meta:
        db_table = "families_consentacceptance"
        verbose_name = "réponse à un consentement"
        verbose_name_plural = "réponses aux consentements"
        ordering = ["-answered_at"]
        constraints = [models.UniqueConstraint(fields=["version", "guardian"], name="consent_one_answer_per_guardian")]

    def __str__(self):
        return f"{self.guardian} – {self.version}"


class RenewalCampaign(models.Model):
    """The yearly renewal of the family file ("actualisation du dossier") for a school year."""

    school_year = models.CharField("année scolaire", max_length=9, unique=True, help_text="Par exemple 2026/2027.")
    opens_on = models.DateField("ouverte le")
    deadline = models.DateField("date limite")
    instructions = models.TextField("consignes", blank=True)
    reminder_every_days = models.PositiveSmallIntegerField("relance tous les (jours)", default=7)
    is_open = models.BooleanField("ouverte", default=True)

    class Meta:
        db_table = "families_renewalcampaign"
        verbose_name = "campagne d'actualisation"
        verbose_name_plural = "campagnes d'actualisation"
        ordering = ["-opens_on"]

    def __str__(self):
        return f"Actualisation {self.school_year}"


class RenewalSubmission(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "À compléter"
        SUBMITTED = "submitted", "Envoyée, en attente de validation"
        RETURNED = "returned", "À corriger"
        VALIDATED = "validated", "Validée"

    SECTIONS = (
        ("composition", "Composition de la famille"),
        ("children", "Enfants et fiches sanitaires"),
        ("contacts", "Coordonnées"),
        ("quotient", "Quotient familial CAF"),
        ("documents", "Documents demandés"),
    )

    campaign = models.ForeignKey(RenewalCampaign, verbose_name="campagne", on_delete=models.CASCADE, related_name="submissions")
    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE, related_name="renewals")
    objects = FamilyOwnedQuerySet.as_manager()
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    confirmed_sections = models.JSONField("rubriques vérifiées", default=list, blank=True)
    declared_quotient = models.DecimalField("quotient déclaré", max_digits=8, decimal_places=2, null=True, blank=True)
    quotient_benefit_number = models.CharField("n° allocataire déclaré", max_length=30, blank=True)
    quotient_proof = models.FileField("attestation de quotient", upload_to=family_document_path, blank=True)
    quotient_proof_name = models.CharField(max_length=200, blank=True)
    quotient_proof_type = models.CharField(max_length=50, blank=True)
    family_comment = models.TextField("précisions de la famille", blank=True)
    submitted_at = models.DateTimeField("envoyée le", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="envoyée par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_comment = models.TextField("commentaire du service", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="traitée par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    last_reminder_at = models.DateTimeField("dernière relance", null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField("relances envoyées", default=0)

    class Meta:
        db_table = "families_renewalsubmission"
        verbose_name = "actualisation d'une famille"
        verbose_name_plural = "actualisations des familles"
        ordering = ["campaign", "family"]
        constraints = [models.UniqueConstraint(fields=["campaign", "family"], name="renewal_one_per_family")]

    def __str__(self):
        return f"{self.campaign} – {self.family}"

    @property
    def is_editable(self):
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)
