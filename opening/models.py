"""Fair opening of a booking window: its request phase settings, the parents' requests, the allocation
runs (dry runs and the published one) and what each family obtained.

The window's mode and phase dates live on ``enrolment.BookingWindow`` (the calendar's deadline rules read
them); everything else of the fair opening lives here, keyed to the window.
"""
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from families.models import ChildOwnedQuerySet, FamilyOwnedQuerySet

from . import allocation


def new_seed():
    return secrets.token_hex(16)


class RequestPhase(models.Model):
    """How the places of a window in request mode are allocated (the rules published with the seed)."""

    class PartialWeeks(models.TextChoices):
        WEEKS_FIRST = allocation.WEEKS_FIRST, "Semaines complètes d'abord, puis les jours"
        DAYS = allocation.DAYS, "Jour par jour"

    window = models.OneToOneField("enrolment.BookingWindow", verbose_name="période de réservation",
                                  on_delete=models.CASCADE, related_name="request_phase")
    seed = models.CharField(
        "graine du tirage au sort", max_length=64, default=new_seed,
        help_text="Publiée aux familles avant l'ouverture des demandes ; ne se modifie plus ensuite.",
    )
    criteria = models.CharField(
        "critères, par ordre de priorité", max_length=200, default=",".join(allocation.CRITERIA),
        help_text="Codes séparés par des virgules, du plus prioritaire au moins prioritaire : "
                  + ", ".join(f"{code} ({label})" for code, label in allocation.CRITERIA.items()) + ".",
    )
    member_communes = models.TextField(
        "communes membres", blank=True,
        help_text="Une commune ou un code postal par ligne : les familles qui y résident sont prioritaires.",
    )
    proof_types = models.ManyToManyField(
        "documents.DocumentType", verbose_name="justificatifs (parents qui travaillent, parent isolé)", blank=True,
        related_name="+",
        help_text="Un de ces documents, accepté par le service, rend la famille prioritaire à ce critère.",
    )
    fewer_places_below = models.PositiveSmallIntegerField(
        "moins de places à la période précédente : en dessous de", default=3,
        help_text="Prioritaire : la famille a obtenu moins de ce nombre de jours à la période précédente "
                  "de la même activité.",
    )
    siblings_all_or_none = models.BooleanField(
        "frères et sœurs ensemble (tout ou rien)", default=True,
        help_text="Un jour est attribué à tous les enfants de la famille qui l'ont demandé, ou à aucun.",
    )
    partial_weeks = models.CharField("semaines incomplètes", max_length=12, choices=PartialWeeks.choices,
                                     default=PartialWeeks.WEEKS_FIRST)
    published_at = models.DateTimeField("attribution publiée le", null=True, blank=True, editable=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="publiée par", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", editable=False)

    class Meta:
        verbose_name = "phase de demandes"
        verbose_name_plural = "phases de demandes"

    def __str__(self):
        return f"Phase de demandes – {self.window}"

    def clean(self):
        try:
            self.criteria_list()
        except ValueError as exc:
            raise ValidationError({"criteria": str(exc)}) from None

    def criteria_list(self):
        codes = [c.strip() for c in self.criteria.split(",") if c.strip()]
        unknown = [c for c in codes if c not in allocation.CRITERIA]
        if unknown or len(set(codes)) != len(codes):
            raise ValueError(f"Critères inconnus ou répétés : {', '.join(unknown) or 'doublon'}. Codes possibles : "
                             f"{', '.join(allocation.CRITERIA)}.")
        return codes

    def communes(self):
        return {line.strip().casefold() for line in self.member_communes.splitlines() if line.strip()}

    def settings(self):
        return allocation.Settings(seed=self.seed, criteria=tuple(self.criteria_list()),
                                   siblings_all_or_none=self.siblings_all_or_none, partial_weeks=self.partial_weeks)


class PlaceRequest(models.Model):
    """A day and unit a parent asked for during the request phase: holds no place."""

    class Outcome(models.TextChoices):
        PENDING = "", "En attente de l'attribution"
        GRANTED = "granted", "Obtenu"
        WAITING = "waiting", "Sur liste d'attente"
        ALREADY = "already", "Déjà réservé"

    phase = models.ForeignKey(RequestPhase, verbose_name="phase de demandes", on_delete=models.CASCADE,
                              related_name="requests")
    child = models.ForeignKey("families.Child", verbose_name="enfant", on_delete=models.CASCADE,
                              related_name="place_requests", db_index=False)
    objects = ChildOwnedQuerySet.as_manager()
    unit = models.ForeignKey("enrolment.Unit", verbose_name="unité", on_delete=models.CASCADE, related_name="+")
    date = models.DateField("jour")
    enrolment = models.ForeignKey("enrolment.Enrolment", verbose_name="inscription", on_delete=models.CASCADE,
                                  related_name="+")
    requested_at = models.DateTimeField("demandé le")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="demandé par", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField("résultat", max_length=8, choices=Outcome.choices, blank=True, default="")

    class Meta:
        verbose_name = "demande de place"
        verbose_name_plural = "demandes de places"
        ordering = ["date", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["child", "unit", "date"], name="place_request_one_per_child_unit_day"),
        ]
        indexes = [models.Index(fields=["child", "date"], name="place_request_child_date"),
                   models.Index(fields=["phase", "date"], name="place_request_phase_date")]

    def __str__(self):
        return f"{self.child} – {self.unit.name} – {self.date:%d/%m/%Y}"


class AllocationRun(models.Model):
    """One run of the allocation: a dry run staff look at, or the published one."""

    class Kind(models.TextChoices):
        DRY_RUN = "dry_run", "Simulation"
        PUBLISHED = "published", "Publiée"

    phase = models.ForeignKey(RequestPhase, verbose_name="phase de demandes", on_delete=models.CASCADE,
                              related_name="runs")
    kind = models.CharField("type", max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField("calculée le")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="par", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    seed = models.CharField("graine", max_length=64)
    digest = models.CharField("empreinte du résultat (SHA-256)", max_length=64)
    duration_ms = models.PositiveIntegerField("durée (ms)", default=0)
    summary = models.JSONField("totaux", default=dict)
    figures = models.JSONField("chiffres par jour", default=list)

    class Meta:
        verbose_name = "calcul d'attribution"
        verbose_name_plural = "calculs d'attribution"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["phase"], condition=models.Q(kind="published"),
                                               name="allocation_run_published_once")]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.created_at:%d/%m/%Y %H:%M}"


class FamilyOutcome(models.Model):
    """What a family obtained at a published allocation: its rank, the criteria that counted, its draw."""

    phase = models.ForeignKey(RequestPhase, verbose_name="phase de demandes", on_delete=models.CASCADE,
                              related_name="outcomes")
    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE,
                               related_name="opening_outcomes")
    objects = FamilyOwnedQuerySet.as_manager()
    rank = models.PositiveIntegerField("rang")
    draw = models.CharField("tirage (SHA-256)", max_length=64)
    criteria = models.JSONField("critères remplis", default=list)
    granted = models.PositiveIntegerField("jours obtenus", default=0)
    waiting = models.PositiveIntegerField("jours en liste d'attente", default=0)
    requested = models.PositiveIntegerField("jours demandés", default=0)

    class Meta:
        verbose_name = "résultat d'une famille"
        verbose_name_plural = "résultats des familles"
        ordering = ["phase", "rank"]
        constraints = [models.UniqueConstraint(fields=["phase", "family"], name="family_outcome_once")]

    def __str__(self):
        return f"{self.family} : rang {self.rank}"
