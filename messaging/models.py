import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from families.models import FamilyOwnedQuerySet


def attachment_path(instance, filename):
    # Random name: the original name is kept in the row, never in the path.
    return f"messaging/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class MessageQuerySet(FamilyOwnedQuerySet):
    family_path = "thread__family"


class AttachmentQuerySet(FamilyOwnedQuerySet):
    family_path = "message__thread__family"


class Service(models.Model):
    """A service a family can write to (ALAE – Restauration, Scolarité…). Managed by staff."""

    name = models.CharField("nom", max_length=100, unique=True)
    email = models.EmailField(
        "e-mail de notification", blank=True, help_text="Prévenu à chaque nouveau message (sans son contenu)."
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)
    is_active = models.BooleanField("proposé aux familles", default=True)

    class Meta:
        verbose_name = "service"
        verbose_name_plural = "services de la messagerie"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Thread(models.Model):
    """A conversation between one family and one service."""

    class Theme(models.TextChoices):
        INFORMATION = "information", "Informations"
        CHANGE = "change", "Modifications"
        COMPLAINT = "complaint", "Réclamations"

    class Status(models.TextChoices):
        NEW = "new", "Nouveau"
        IN_PROGRESS = "in_progress", "En cours"
        ANSWERED = "answered", "Répondu"

    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE, related_name="threads")
    objects = FamilyOwnedQuerySet.as_manager()
    service = models.ForeignKey(Service, verbose_name="service", on_delete=models.PROTECT, related_name="threads")
    theme = models.CharField("thème", max_length=12, choices=Theme.choices)
    subject = models.CharField("objet", max_length=200)
    status = models.CharField("état", max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="suivi par", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_threads", limit_choices_to={"is_staff": True},
    )
    started_by_staff = models.BooleanField("ouvert par le service", default=False)
    mass_message = models.ForeignKey(
        "MassMessage", verbose_name="message groupé", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="threads",
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)
    last_message_at = models.DateTimeField("dernier message", default=timezone.now, db_index=True)
    last_family_message_at = models.DateTimeField(null=True, blank=True)
    last_staff_message_at = models.DateTimeField(null=True, blank=True)
    # Each side deletes for itself: the other side still sees the thread.
    family_deleted_at = models.DateTimeField("supprimé par la famille le", null=True, blank=True)
    staff_deleted_at = models.DateTimeField("archivé par le service le", null=True, blank=True)

    class Meta:
        verbose_name = "conversation"
        verbose_name_plural = "conversations"
        ordering = ["-last_message_at"]
        indexes = [
            models.Index(fields=["family", "-last_message_at"]),
            models.Index(fields=["status", "-last_message_at"]),
        ]

    def __str__(self):
        return self.subject


class Message(models.Model):
    thread = models.ForeignKey(Thread, verbose_name="conversation", on_delete=models.CASCADE, related_name="messages")
    objects = MessageQuerySet.as_manager()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField("signé", max_length=150)
    from_staff = models.BooleanField("envoyé par le service", default=False)
    body = models.TextField("message")
    created_at = models.DateTimeField("envoyé le", default=timezone.now)
    # Read by the recipient side (the family for a staff message, the service for a family message).
    read_at = models.DateTimeField("lu le", null=True, blank=True)

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "from_staff", "read_at"])]

    def __str__(self):
        return f"{self.author_name} – {self.created_at:%d/%m/%Y %H:%M}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, verbose_name="message", on_delete=models.CASCADE, related_name="attachments")
    objects = AttachmentQuerySet.as_manager()
    file = models.FileField("fichier", upload_to=attachment_path)
    original_name = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField("type", max_length=50)
    size = models.PositiveIntegerField("taille (octets)")

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["pk"]

    def __str__(self):
        return self.original_name


class MassMessage(models.Model):
    """A message staff write to many families at once (a site, an activity, a group, a day's list).

    Delivered by a task after commit: one thread per family in its Messagerie, an e-mail to the guardians
    of families that accept e-mails, an SMS to those of families that accept SMS.
    """

    class Target(models.TextChoices):
        STRUCTURE = "structure", "Toutes les familles d'un équipement"
        ACTIVITY = "activity", "Les familles inscrites à une activité"
        GROUP = "group", "Les familles d'un groupe"
        DAY = "day", "Les enfants réservés un jour (liste de présence)"

    class Status(models.TextChoices):
        QUEUED = "queued", "En cours d'envoi"
        SENT = "sent", "Envoyé"

    created_at = models.DateTimeField("créé le", default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(Service, verbose_name="service", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField("objet", max_length=200)
    body = models.TextField("message")
    sms_text = models.CharField("texte du SMS", max_length=918, blank=True)
    send_email = models.BooleanField("par e-mail", default=True)
    send_sms = models.BooleanField("par SMS", default=False)
    target = models.CharField("destinataires", max_length=10, choices=Target.choices)
    structure = models.ForeignKey("enrolment.Structure", verbose_name="équipement", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    activity = models.ForeignKey("enrolment.Activity", verbose_name="activité", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    group = models.ForeignKey("enrolment.Group", verbose_name="groupe", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey("enrolment.Unit", verbose_name="unité", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    day = models.DateField("jour", null=True, blank=True)
    target_label = models.CharField("envoyé à", max_length=300)
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.QUEUED)
    delivered_at = models.DateTimeField("distribué le", null=True, blank=True)
    families_count = models.PositiveIntegerField("familles", default=0)
    emails_count = models.PositiveIntegerField("e-mails", default=0)
    sms_count = models.PositiveIntegerField("SMS", default=0)

    class Meta:
        verbose_name = "message groupé"
        verbose_name_plural = "messages groupés"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.subject} – {self.target_label}"


class SmsMessage(models.Model):
    """One SMS to one number: the SMS outbox, and what the fake provider « sent » (demo, tests)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"

    created_at = models.DateTimeField("créé le", default=timezone.now)
    mass_message = models.ForeignKey(MassMessage, verbose_name="message groupé", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="sms")
    family = models.ForeignKey("families.Family", verbose_name="famille", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    to = models.CharField("numéro", max_length=20)
    body = models.TextField("texte")
    encoding = models.CharField("codage", max_length=5)
    segments = models.PositiveSmallIntegerField("nombre de SMS")
    provider = models.CharField("fournisseur", max_length=20, blank=True)
    provider_id = models.CharField("référence du fournisseur", max_length=100, blank=True)
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.CharField("dernière erreur", max_length=500, blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "SMS"
        verbose_name_plural = "SMS envoyés"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"SMS à {self.to} ({self.created_at:%d/%m/%Y %H:%M})"
