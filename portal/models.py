from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from .caching import cached_config


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True


class Organisation(models.Model):
    """The commune or syndicate running the portal. One row (pk=1); read with ``Organisation.current()``."""

    class ChangePolicy(models.TextChoices):
        VALIDATE = "validate", "Validation par le service"
        DIRECT = "direct", "Appliquée immédiatement"

    class InvoiceVisibility(models.TextChoices):
        FAMILY = "family", "Chaque responsable voit toutes les factures de la famille"
        PAYER = "payer", "Chaque responsable ne voit que les factures qui lui sont adressées"

    name = models.CharField("nom", max_length=200, default="Syndicat Intercommunal Enfance Jeunesse")
    short_name = models.CharField("sigle", max_length=50, blank=True, default="SIEJ")
    address = models.TextField("adresse", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    school_zone = models.CharField(
        "zone de vacances scolaires", max_length=1, default="A", choices=[("A", "Zone A"), ("B", "Zone B"), ("C", "Zone C")]
    )
    # Per kind of data: do a parent's changes apply at once, or wait for staff?
    policy_family = models.CharField(
        "modifications du foyer (adresse, téléphone, CAF)", max_length=10,
        choices=ChangePolicy.choices, default=ChangePolicy.VALIDATE,
    )
    policy_guardian = models.CharField(
        "modifications des coordonnées des responsables", max_length=10,
        choices=ChangePolicy.choices, default=ChangePolicy.VALIDATE,
    )
    policy_child = models.CharField(
        "modifications des fiches enfants et sanitaires", max_length=10,
        choices=ChangePolicy.choices, default=ChangePolicy.VALIDATE,
    )
    # API Particulier (identity app): the organisation's SIRET sent as ``recipient``, and whether a quotient
    # fetched from the CAF/MSA applies at once or waits for staff.
    siret = models.CharField(
        "SIRET de l'organisation", max_length=14, blank=True,
        help_text="14 chiffres ; transmis à API Particulier à chaque appel (paramètre « recipient »).",
        validators=[RegexValidator(r"^\d{14}$", "Le SIRET compte 14 chiffres, sans espace.")],
    )
    policy_quotient = models.CharField(
        "quotient récupéré auprès de la CAF/MSA", max_length=10,
        choices=ChangePolicy.choices, default=ChangePolicy.VALIDATE,
    )
    invoice_visibility = models.CharField(
        "visibilité des factures", max_length=10, choices=InvoiceVisibility.choices, default=InvoiceVisibility.FAMILY
    )
    email_includes_message_body = models.BooleanField(
        "inclure le texte des messages dans les e-mails", default=False,
        help_text="Laisser décoché si les messages peuvent contenir des données de santé.",
    )
    logout_redirect_url = models.URLField(
        "après la déconnexion, aller à", blank=True,
        help_text="L'adresse du site de la commune (https://…). Vide : la page d'accueil du portail.",
    )
    accessibility_email = models.EmailField(
        "contact accessibilité", blank=True,
        help_text="Adresse à laquelle signaler un défaut d'accessibilité (déclaration d'accessibilité). "
                  "Vide : l'e-mail de l'organisation.",
    )
    accessibility_plan_url = models.URLField(
        "schéma pluriannuel de mise en accessibilité", blank=True,
        help_text="Adresse du schéma pluriannuel et du plan d'action de l'année, s'ils sont publiés.",
    )

    class Meta:
        verbose_name = "organisation"
        verbose_name_plural = "organisation"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)  # post_save: portal.caching drops the cached row in every worker

    @classmethod
    def current(cls):
        """The organisation row, kept in each worker's memory until it is saved (portal.caching); each
        call gets its own copy, which the caller may change and save."""
        shared = cached_config("organisation", lambda: cls.objects.get_or_create(pk=1)[0], models=[cls])
        copy = cls.__new__(cls)
        copy.__dict__.update(shared.__dict__)
        copy._state = models.base.ModelState()
        copy._state.adding, copy._state.db = False, shared._state.db
        return copy


class AuditLog(models.Model):
    """Who on the staff side (or which parent) decided what, with old and new values."""

    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    family = models.ForeignKey(
        "families.Family", verbose_name="famille", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    action = models.CharField("action", max_length=80)
    summary = models.CharField("résumé", max_length=300)
    old_values = models.JSONField("anciennes valeurs", default=dict, blank=True)
    new_values = models.JSONField("nouvelles valeurs", default=dict, blank=True)

    class Meta:
        verbose_name = "journal d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-at"]
        indexes = [models.Index(fields=["family", "-at"])]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.summary}"


class OutboundEmail(models.Model):
    """The outbox: an e-mail is recorded here in the transaction that causes it, then sent by Celery."""

    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"

    created_at = models.DateTimeField("créé le", auto_now_add=True, db_index=True)
    to = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=250)
    body_text = models.TextField("texte")
    body_html = models.TextField("HTML", blank=True)
    template = models.CharField("modèle", max_length=80, db_index=True)
    related_label = models.CharField("concerne", max_length=200, blank=True)
    related_type = models.CharField(max_length=80, blank=True)
    related_id = models.CharField(max_length=40, blank=True)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    # Last time a sending task was handed to the broker: the sweep re-queues only rows
    # whose task has been waiting too long, never a row that was just queued or is waiting for a retry.
    queued_at = models.DateTimeField("mis en file le", null=True, blank=True)
    next_attempt_at = models.DateTimeField("prochaine tentative", null=True, blank=True)
    body_purged_at = models.DateTimeField("contenu effacé le", null=True, blank=True)

    class Meta:
        verbose_name = "e-mail sortant"
        verbose_name_plural = "e-mails sortants"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class JobRun(models.Model):
    """One run of a background job, written for staff: what ran, when, for which date, and what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", "En cours"
        SUCCESS = "success", "Terminée"
        SKIPPED = "skipped", "Ignorée"
        FAILED = "failed", "Échec"

    name = models.CharField("tâche", max_length=120, db_index=True)
    label = models.CharField("libellé", max_length=200)
    now = models.DateTimeField("date de référence")
    period_key = models.CharField("période", max_length=40, blank=True)
    started_at = models.DateTimeField("début", db_index=True)
    finished_at = models.DateTimeField("fin", null=True, blank=True)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    summary = models.TextField("compte rendu", blank=True)
    counts = models.JSONField("chiffres", default=dict, blank=True)
    error = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "exécution de tâche"
        verbose_name_plural = "exécutions des tâches"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["name", "period_key", "status"])]

    def __str__(self):
        return f"{self.label} – {self.started_at:%d/%m/%Y %H:%M}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class ConfigVersion(models.Model):
    """The version of the staff-edited configuration (one row, pk=1): a new token on every change.

    ``portal.caching`` keeps configuration in each process and checks it against this token (through the
    shared cache for pages, straight from the database for decisions such as a booking commit), so every
    server process sees a change made on any other."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "version de la configuration"
        verbose_name_plural = "version de la configuration"

    def __str__(self):
        return self.token
