import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def news_image_path(instance, filename):
    return f"news/images/{uuid.uuid4().hex}"


def published_document_path(instance, filename):
    return f"news/documents/{uuid.uuid4().hex}"


class NewsPostQuerySet(models.QuerySet):
    def published(self, now=None):
        now = now or timezone.now()
        return self.filter(publish_from__lte=now).filter(Q(publish_until__isnull=True) | Q(publish_until__gt=now))


class NewsPost(models.Model):
    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Tout le monde (page d'accueil publique)"
        FAMILIES = "families", "Familles connectées"
        STRUCTURE = "structure", "Familles inscrites dans un équipement"

    title = models.CharField("titre", max_length=200)
    body = models.TextField("texte", help_text="Format Markdown : **gras**, *italique*, listes, liens.")
    image = models.ImageField("image", upload_to=news_image_path, blank=True)
    image_alt = models.CharField("description de l'image", max_length=200, blank=True)
    publish_from = models.DateTimeField("publié à partir du", default=timezone.now, db_index=True)
    publish_until = models.DateTimeField("publié jusqu'au", null=True, blank=True)
    audience = models.CharField("public", max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
    structure = models.ForeignKey(
        "enrolment.Structure", verbose_name="équipement", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="Pour le public « Familles inscrites dans un équipement ».",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = NewsPostQuerySet.as_manager()

    class Meta:
        verbose_name = "actualité"
        verbose_name_plural = "actualités"
        ordering = ["-publish_from", "-pk"]

    def __str__(self):
        return self.title


class PublishedDocument(models.Model):
    class Category(models.TextChoices):
        MENUS = "menus", "Menus"
        RULES = "rules", "Règlements intérieurs"
        TUTORIALS = "tutorials", "Tutoriels"
        CALENDARS = "calendars", "Calendriers des réservations"
        BUS = "bus", "Ramassage bus des centres de loisirs"
        OTHER = "other", "Autres documents"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        FAMILIES = "families", "Familles connectées"

    title = models.CharField("titre", max_length=200)
    category = models.CharField("catégorie", max_length=12, choices=Category.choices, db_index=True)
    description = models.CharField("description", max_length=300, blank=True)
    file = models.FileField("fichier", upload_to=published_document_path)
    original_name = models.CharField("nom du fichier", max_length=200, blank=True, editable=False)
    content_type = models.CharField("type", max_length=50, blank=True, editable=False)
    size = models.PositiveIntegerField("taille (octets)", default=0, editable=False)
    visibility = models.CharField("visibilité", max_length=10, choices=Visibility.choices, default=Visibility.FAMILIES)
    is_published = models.BooleanField("publié", default=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "document publié"
        verbose_name_plural = "documents publiés"
        ordering = ["category", "order", "title"]

    def __str__(self):
        return self.title
