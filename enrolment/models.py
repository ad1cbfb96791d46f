"""Catalogue, opening calendar, enrolments and per-day bookings.

Names here are part of the cross-app contract (see notes/contract.md): billing reads Structure, Activity,
Unit and Booking (with ``Booking.BILLABLE_STATES``).
"""
import datetime
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from families.models import ChildOwnedQuerySet, FamilyOwnedQuerySet

WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Structure(models.Model):
    """An "équipement": Accueil de loisirs, Périscolaire, Restauration, Service jeunesse."""

    class Kind(models.TextChoices):
        LEISURE = "leisure", "Accueil de loisirs"
        AFTER_SCHOOL = "periscolaire", "Périscolaire"
        CATERING = "catering", "Restauration"
        YOUTH = "youth", "Service jeunesse"
        TRANSPORT = "transport", "Transport"

    name = models.CharField("nom", max_length=150)
    kind = models.CharField("type d'équipement", max_length=20, choices=Kind.choices, default=Kind.LEISURE)
    address = models.CharField("adresse", max_length=250, blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)

    class Meta:
        verbose_name = "équipement"
        verbose_name_plural = "équipements"
        ordering = ["name"]

    def __str__(self):
        return self.name


class ActivityType(models.Model):
    class Kind(models.TextChoices):
        LEISURE_CENTRE = "cl", "Centre de loisirs"
        ALAE = "alae", "ALAE (accueil périscolaire)"
        CATERING = "catering", "Restauration"
        DAYCARE = "garderie", "Garderie"
        TRANSPORT = "transport", "Transport"
        YOUTH = "youth", "Jeunesse"

    structure = models.ForeignKey(
        Structure, verbose_name="équipement", on_delete=models.PROTECT, related_name="activity_types"
    )
    name = models.CharField("nom", max_length=150)
    kind = models.CharField("catégorie", max_length=20, choices=Kind.choices, default=Kind.LEISURE_CENTRE)

    class Meta:
        verbose_name = "type d'activité"
        verbose_name_plural = "types d'activité"
        ordering = ["structure__name", "name"]

    def __str__(self):
        return f"{self.structure} – {self.name}"


class Activity(models.Model):
    """An activity for one season, e.g. "2025/2026 - CL Maternel Mercredis"."""

    class BookingRule(models.TextChoices):
        MONTHLY = "monthly", "Jusqu'au jour J du mois précédent"
        WINDOW = "window", "Pendant une période de réservation (vacances)"
        NOTICE = "notice", "Jusqu'à N jours avant"

    activity_type = models.ForeignKey(
        ActivityType, verbose_name="type d'activité", on_delete=models.PROTECT, related_name="activities"
    )
    name = models.CharField("nom", max_length=200)
    public_name = models.CharField(
        "nom pour les familles", max_length=200, blank=True,
        help_text="Le nom que lisent les parents (« Mercredis au centre de loisirs – maternelle »). Vide : le nom.",
    )
    description = models.TextField("description", blank=True)
    season_start = models.DateField("début de saison")
    season_end = models.DateField("fin de saison")
    is_active = models.BooleanField("proposée aux familles", default=True)
    # Enrolment
    enrolment_opens = models.DateField("inscriptions ouvertes du", null=True, blank=True)
    enrolment_closes = models.DateField("inscriptions ouvertes jusqu'au", null=True, blank=True)
    auto_validate = models.BooleanField(
        "inscription validée automatiquement", default=False,
        help_text="Sinon, chaque demande d'inscription attend la validation du service.",
    )
    prebook_regular = models.BooleanField(
        "réserver automatiquement les unités régulières", default=False,
        help_text="Une inscription validée réserve chaque jour d'ouverture de la saison pour les unités régulières.",
    )
    bookings_need_approval = models.BooleanField(
        "réservations soumises à validation", default=False,
        help_text="Les réservations des familles restent « demande en attente » jusqu'à la décision du service.",
    )
    requires_complete_file = models.BooleanField("dossier complet exigé", default=False)
    # Booking rule (all times Europe/Paris)
    booking_rule = models.CharField(
        "règle de réservation", max_length=10, choices=BookingRule.choices, default=BookingRule.MONTHLY
    )
    deadline_day = models.PositiveSmallIntegerField(
        "jour limite du mois précédent", default=20, validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Règle mensuelle : le mois M+1 se modifie jusqu'à ce jour du mois M, 23 h 59.",
    )
    notice_days = models.PositiveSmallIntegerField(
        "délai de prévenance (jours)", default=2,
        help_text="Annulation gratuite jusqu'à N jours avant, à l'heure indiquée ; ensuite absence facturée.",
    )
    notice_time = models.TimeField("heure limite du délai de prévenance", default=datetime.time(12, 0))
    color = models.CharField("couleur (planning)", max_length=7, blank=True)
    walk_in_billed = models.BooleanField(
        "facturer un enfant venu sans réservation", default=True,
        help_text="Pointé présent sans réservation : facturé comme un jour réservé. Sinon, signalé au service "
                  "sans être facturé.",
    )
    # « Dupliquer pour la saison suivante »: the activity this one was copied from. One-to-one, so a season
    # is never copied twice (services/season.py).
    previous_season = models.OneToOneField(
        "self", verbose_name="copiée de la saison", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="next_season",
    )

    class Meta:
        verbose_name = "activité"
        verbose_name_plural = "activités"
        ordering = ["-season_start", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(season_end__gte=F("season_start")), name="activity_season_order"),
        ]

    def __str__(self):
        return self.name

    @property
    def parent_name(self):
        """The name parent pages show: the parent-facing name, else the staff name."""
        return self.public_name or self.name

    @property
    def structure(self):
        return self.activity_type.structure


class Group(models.Model):
    class Stage(models.TextChoices):
        ANY = "", "Tous niveaux"
        MATERNELLE = "maternelle", "Maternelle"
        ELEMENTAIRE = "elementaire", "Élémentaire"

    activity = models.ForeignKey(Activity, verbose_name="activité", on_delete=models.CASCADE, related_name="groups")
    name = models.CharField("nom", max_length=100)
    school_stage = models.CharField("niveau scolaire", max_length=12, choices=Stage.choices, blank=True)
    min_age = models.PositiveSmallIntegerField("âge minimum", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("âge maximum", null=True, blank=True,
                                               help_text="Âge révolu au début de la saison.")
    capacity = models.PositiveIntegerField(
        "capacité du groupe", null=True, blank=True,
        help_text="Places par jour et par unité pour ce groupe. Vide : la capacité de l'unité est partagée.",
    )

    class Meta:
        verbose_name = "groupe"
        verbose_name_plural = "groupes"
        ordering = ["activity", "name"]

    def __str__(self):
        return self.name


class Unit(models.Model):
    activity = models.ForeignKey(Activity, verbose_name="activité", on_delete=models.CASCADE, related_name="units")
    name = models.CharField("nom", max_length=100)
    code = models.CharField("code", max_length=20)
    start_time = models.TimeField("heure de début", null=True, blank=True)
    end_time = models.TimeField("heure de fin", null=True, blank=True)
    capacity = models.PositiveIntegerField("capacité par jour", null=True, blank=True, help_text="Vide : illimitée.")
    incompatible_units = models.ManyToManyField(
        "self", verbose_name="unités incompatibles", blank=True, symmetrical=True,
        help_text="Unités qui ne peuvent pas être réservées le même jour (Journée exclut Matin et Après-midi).",
    )
    required_units = models.ManyToManyField(
        "self", verbose_name="unités requises", blank=True, symmetrical=False, related_name="dependent_units",
        help_text="Cette unité exige l'une de ces unités le même jour (le repas exige une présence).",
    )
    is_regular = models.BooleanField("unité régulière", default=False)
    billable = models.BooleanField("facturable", default=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "unité"
        verbose_name_plural = "unités"
        ordering = ["activity", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["activity", "code"], name="unit_code_unique_per_activity")]

    def __str__(self):
        return f"{self.activity} – {self.name}"


class OpeningPeriod(models.Model):
    """An activity opens on these weekdays between two dates (public holidays and closures excepted)."""

    activity = models.ForeignKey(
        Activity, verbose_name="activité", on_delete=models.CASCADE, related_name="opening_periods"
    )
    name = models.CharField("nom", max_length=100, blank=True)
    start_date = models.DateField("du")
    end_date = models.DateField("au")
    monday = models.BooleanField("lundi", default=False)
    tuesday = models.BooleanField("mardi", default=False)
    wednesday = models.BooleanField("mercredi", default=False)
    thursday = models.BooleanField("jeudi", default=False)
    friday = models.BooleanField("vendredi", default=False)
    saturday = models.BooleanField("samedi", default=False)
    sunday = models.BooleanField("dimanche", default=False)
    skip_school_holidays = models.BooleanField(
        "fermé pendant les vacances scolaires", default=True,
        help_text="Décocher pour les accueils de vacances.",
    )

    class Meta:
        verbose_name = "période d'ouverture"
        verbose_name_plural = "périodes d'ouverture"
        ordering = ["activity", "start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="opening_period_order"),
        ]

    def __str__(self):
        return self.name or f"{self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y}"

    @property
    def weekdays(self):
        return frozenset(i for i, f in enumerate(WEEKDAY_FIELDS) if getattr(self, f))


class SchoolHoliday(models.Model):
    """A school-holiday period for the organisation's zone (imported or entered by staff)."""

    name = models.CharField("nom", max_length=100)
    start_date = models.DateField("premier jour de vacances")
    end_date = models.DateField("dernier jour de vacances")

    class Meta:
        verbose_name = "période de vacances scolaires"
        verbose_name_plural = "vacances scolaires"
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="school_holiday_order"),
        ]

    def __str__(self):
        return f"{self.name} ({self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y})"


class BookingWindow(models.Model):
    """Window rule: the days of [period_start, period_end] are bookable between opens_on and closes_on."""

    class OpeningMode(models.TextChoices):
        FIRST_COME = "first_come", "Premier arrivé, premier servi"
        REQUESTS = "requests", "Phase de demandes puis attribution"

    activity = models.ForeignKey(
        Activity, verbose_name="activité", on_delete=models.CASCADE, related_name="booking_windows"
    )
    name = models.CharField("nom", max_length=100, help_text="Ex. « Automne 2025 ».")
    period_start = models.DateField("jours concernés du")
    period_end = models.DateField("jours concernés au")
    opens_on = models.DateField("réservations ouvertes du", null=True, blank=True)
    closes_on = models.DateField("réservations ouvertes jusqu'au", help_text="Inclus, jusqu'à 23 h 59.")
    # Fair opening (issue 17, the opening app): a request phase, then an allocation published by staff,
    # then first-come for the places left (publication switches the mode back to FIRST_COME).
    opening_mode = models.CharField(
        "mode d'ouverture", max_length=12, choices=OpeningMode.choices, default=OpeningMode.FIRST_COME,
        help_text="Phase de demandes : les familles demandent des jours sans prendre de place ; les places sont "
                  "attribuées par les critères publiés puis un tirage au sort.",
    )
    requests_open_at = models.DateTimeField("demandes ouvertes le", null=True, blank=True)
    requests_close_at = models.DateTimeField("demandes closes le", null=True, blank=True,
                                             help_text="Jusqu'à cet instant exclu.")
    results_at = models.DateTimeField("attribution annoncée le", null=True, blank=True,
                                      help_text="Date et heure de publication annoncées aux familles.")

    class Meta:
        verbose_name = "période de réservation"
        verbose_name_plural = "périodes de réservation"
        ordering = ["activity", "period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opening_mode="first_come") | Q(requests_open_at__isnull=False,
                                                           requests_close_at__isnull=False,
                                                           requests_close_at__gt=F("requests_open_at")),
                name="booking_window_request_phase_dates",
            ),
        ]

    def __str__(self):
        return self.name


class ClosureDay(models.Model):
    """A day an activity (or every activity of a structure) is closed."""

    structure = models.ForeignKey(
        Structure, verbose_name="équipement", on_delete=models.CASCADE, null=True, blank=True,
        related_name="closure_days",
    )
    activity = models.ForeignKey(
        Activity, verbose_name="activité", on_delete=models.CASCADE, null=True, blank=True,
        related_name="closure_days",
    )
    date = models.DateField("date")
    reason = models.CharField("motif", max_length=200, blank=True)

    class Meta:
        verbose_name = "jour de fermeture"
        verbose_name_plural = "jours de fermeture"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(structure__isnull=False) | Q(activity__isnull=False), name="closure_day_has_target"
            ),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} – {self.reason or 'fermeture'}"


class CapacityOverride(models.Model):
    """A different capacity for one unit (and optionally one group) on one day."""

    unit = models.ForeignKey(Unit, verbose_name="unité", on_delete=models.CASCADE, related_name="capacity_overrides")
    group = models.ForeignKey(
        Group, verbose_name="groupe", on_delete=models.CASCADE, null=True, blank=True,
        related_name="capacity_overrides",
    )
    date = models.DateField("date")
    capacity = models.PositiveIntegerField("capacité")

    class Meta:
        verbose_name = "capacité d'un jour"
        verbose_name_plural = "capacités par jour"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], condition=Q(group__isnull=True),
                                    name="capacity_override_unit_day"),
            models.UniqueConstraint(fields=["unit", "group", "date"], condition=Q(group__isnull=False),
                                    name="capacity_override_unit_group_day"),
        ]

    def __str__(self):
        return f"{self.unit} {self.date:%d/%m/%Y} : {self.capacity}"


class EnrolmentQuerySet(ChildOwnedQuerySet):
    def validated(self):
        """Validated enrolments of active children: the ones that can book."""
        return self.filter(child__is_active=True, status=Enrolment.Status.VALIDATED)


class Enrolment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        VALIDATED = "validated", "Validée"
        REFUSED = "refused", "Refusée"
        CANCELLED = "cancelled", "Annulée"

    ACTIVE_STATUSES = (Status.PENDING, Status.VALIDATED)

    child = models.ForeignKey("families.Child", verbose_name="enfant", on_delete=models.CASCADE,
                              related_name="enrolments")
    objects = EnrolmentQuerySet.as_manager()
    activity = models.ForeignKey(Activity, verbose_name="activité", on_delete=models.PROTECT,
                                 related_name="enrolments")
    group = models.ForeignKey(Group, verbose_name="groupe", on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_at = models.DateTimeField("demandée le")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandée par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="traitée par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    refusal_reason = models.TextField("motif du refus", blank=True)

    class Meta:
        verbose_name = "inscription"
        verbose_name_plural = "inscriptions"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity"], condition=Q(status__in=["pending", "validated"]),
                name="enrolment_one_active_per_child_activity",
            ),
        ]

    def __str__(self):
        return f"{self.child} – {self.activity}"


class Booking(models.Model):
    class State(models.TextChoices):
        RESERVED = "reserved", "Réservé"
        REQUESTED = "requested", "Demande en attente"
        REFUSED = "refused", "Refusé"
        CANCELLED = "cancelled", "Annulé"
        EXCUSED = "excused", "Absent excusé"
        ABSENT_BILLED = "absent_billed", "Absent facturé"
        PRESENT = "present", "Présent"

    class Excuse(models.TextChoices):
        NONE = "", "—"
        REQUESTED = "requested", "Justificatif à examiner"
        GRANTED = "granted", "Absence excusée"
        DENIED = "denied", "Justificatif refusé"

    BILLABLE_STATES = ("reserved", "present", "absent_billed")
    # States that hold a place in the Occupancy counter.
    HOLDING_STATES = ("reserved", "requested", "present", "absent_billed", "excused")

    # No index of its own: booking_child_date (child, date) serves every lookup by child, in date order
    # (a plain child index made PostgreSQL sort a child's whole season to find its next days).
    child = models.ForeignKey("families.Child", verbose_name="enfant", on_delete=models.CASCADE,
                              related_name="bookings", db_index=False)
    objects = ChildOwnedQuerySet.as_manager()
    # No index of its own either: booking_unit_date (unit, date) serves every lookup by unit. Each index
    # is written by every booking commit (an update changes ``state``, which an index condition reads).
    unit = models.ForeignKey(Unit, verbose_name="unité", on_delete=models.PROTECT, related_name="bookings",
                             db_index=False)
    date = models.DateField("jour")
    enrolment = models.ForeignKey(Enrolment, verbose_name="inscription", on_delete=models.PROTECT,
                                  related_name="bookings")
    state = models.CharField("état", max_length=14, choices=State.choices, default=State.RESERVED)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="réservée par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="traitée par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    refusal_reason = models.CharField("motif du refus", max_length=250, blank=True)
    absence_declared_at = models.DateTimeField("absence déclarée le", null=True, blank=True)
    absence_reason = models.CharField("motif de l'absence", max_length=250, blank=True)
    medical_certificate = models.FileField("certificat médical", upload_to="certificats/%Y/", blank=True)
    excuse = models.CharField("justificatif", max_length=10, choices=Excuse.choices, blank=True, default="")
    # The staff decision on the justification (booking_excuse), kept apart from the booking request's decision
    # (decided_at, refusal_reason) so « Mes demandes » shows each with its own date and reason.
    excuse_decided_at = models.DateTimeField("justificatif examiné le", null=True, blank=True)
    excuse_refusal_reason = models.CharField("motif du refus du justificatif", max_length=250, blank=True)
    # Check-in (pointage): times of arrival and departure, and a child who came without a booking.
    arrived_at = models.TimeField("heure d'arrivée", null=True, blank=True)
    left_at = models.TimeField("heure de départ", null=True, blank=True)
    walk_in = models.BooleanField("venu sans réservation", default=False)

    class Meta:
        verbose_name = "réservation"
        verbose_name_plural = "réservations"
        ordering = ["date", "unit__order"]
        constraints = [models.UniqueConstraint(fields=["child", "unit", "date"], name="booking_one_per_child_unit_day")]
        indexes = [
            models.Index(fields=["unit", "date"], name="booking_unit_date"),
            models.Index(fields=["child", "date"], name="booking_child_date"),
            # The « demandes de réservation en attente » counter runs on every parent page (navigation):
            # without it PostgreSQL reads all of a family's future bookings to find the few requested ones.
            models.Index(fields=["child", "date"], condition=Q(state="requested"), name="booking_requested_child_date"),
        ]

    def __str__(self):
        return f"{self.child} – {self.unit.name} – {self.date:%d/%m/%Y}"


class CheckInTap(models.Model):
    """One tap on the check-in page, kept by its client-generated id: a tap sent twice (the device retrying
    after a network cut) is applied once. Keeps what the booking was before, for « Annuler »."""

    class Action(models.TextChoices):
        ARRIVE = "arrive", "Arrivée"
        LEAVE = "leave", "Départ"
        ABSENT = "absent", "Absent"
        UNDO = "undo", "Annulation du dernier pointage"

    id = models.UUIDField(primary_key=True)
    booking = models.ForeignKey(Booking, verbose_name="réservation", on_delete=models.CASCADE, related_name="taps")
    action = models.CharField("action", max_length=8, choices=Action.choices)
    tapped_at = models.DateTimeField("pointé le")
    recorded_at = models.DateTimeField("reçu le", auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="par", on_delete=models.SET_NULL, null=True,
                           related_name="+")
    previous_state = models.CharField("état avant", max_length=14)
    previous_arrived_at = models.TimeField(null=True, blank=True)
    previous_left_at = models.TimeField(null=True, blank=True)
    undone = models.BooleanField("annulé", default=False)

    class Meta:
        verbose_name = "pointage"
        verbose_name_plural = "pointages"
        ordering = ["booking", "tapped_at"]
        indexes = [models.Index(fields=["booking", "recorded_at"], name="check_in_tap_booking")]

    def __str__(self):
        return f"{self.get_action_display()} – {self.booking_id}"


class Occupancy(models.Model):
    """The counter row for one unit (and group, when the group has its own capacity) on one day.

    Locked with select_for_update while booking; the check constraint is the backstop.
    """

    unit = models.ForeignKey(Unit, verbose_name="unité", on_delete=models.CASCADE, related_name="occupancies")
    group = models.ForeignKey(Group, verbose_name="groupe", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="occupancies")
    date = models.DateField("jour")
    booked = models.PositiveIntegerField("places réservées", default=0)
    capacity = models.PositiveIntegerField("capacité", null=True, blank=True, help_text="Vide : illimitée.")

    class Meta:
        verbose_name = "occupation"
        verbose_name_plural = "occupations"
        ordering = ["date", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], condition=Q(group__isnull=True),
                                    name="occupancy_unit_day"),
            models.UniqueConstraint(fields=["unit", "group", "date"], condition=Q(group__isnull=False),
                                    name="occupancy_unit_group_day"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(booked__lte=F("capacity")), name="occupancy_within_capacity"
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.date:%d/%m/%Y} : {self.booked}/{self.capacity or '∞'}"

    @property
    def places_left(self):
        return None if self.capacity is None else max(self.capacity - self.booked, 0)


class WaitingListEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "En attente"
        OFFERED = "offered", "Place proposée"
        BOOKED = "booked", "Réservé"
        EXPIRED = "expired", "Proposition expirée"
        CANCELLED = "cancelled", "Retiré"

    ACTIVE_STATUSES = (Status.WAITING, Status.OFFERED)

    child = models.ForeignKey("families.Child", verbose_name="enfant", on_delete=models.CASCADE,
                              related_name="waiting_list_entries")
    objects = ChildOwnedQuerySet.as_manager()
    unit = models.ForeignKey(Unit, verbose_name="unité", on_delete=models.CASCADE, related_name="waiting_list_entries")
    date = models.DateField("jour")
    enrolment = models.ForeignKey(Enrolment, verbose_name="inscription", on_delete=models.CASCADE,
                                  related_name="waiting_list_entries")
    auto_book = models.BooleanField("réserver automatiquement si une place se libère", default=False)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True)
    created_at = models.DateTimeField("inscrit le")
    offered_at = models.DateTimeField("proposée le", null=True, blank=True)
    offer_expires_at = models.DateTimeField("proposition valable jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "liste d'attente"
        verbose_name_plural = "listes d'attente"
        ordering = ["date", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "unit", "date"], condition=Q(status__in=["waiting", "offered"]),
                name="waiting_list_one_active_per_child_unit_day",
            ),
        ]

    def __str__(self):
        return f"{self.child} – {self.unit.name} – {self.date:%d/%m/%Y}"


class CalendarFeed(models.Model):
    """A family's private iCalendar feed; revoking replaces the token."""

    family = models.OneToOneField("families.Family", verbose_name="famille", on_delete=models.CASCADE,
                                  related_name="calendar_feed")
    objects = FamilyOwnedQuerySet.as_manager()
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "agenda privé"
        verbose_name_plural = "agendas privés"

    def __str__(self):
        return f"Agenda de {self.family}"

    @staticmethod
    def new_token():
        return secrets.token_urlsafe(32)


class DeadlineReminder(models.Model):
    """One reminder per family, activity and booking period: makes the reminder job idempotent."""

    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE,
                               related_name="deadline_reminders")
    objects = FamilyOwnedQuerySet.as_manager()
    activity = models.ForeignKey(Activity, verbose_name="activité", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField("période du")
    sent_at = models.DateTimeField("envoyé le")

    class Meta:
        verbose_name = "rappel de date limite"
        verbose_name_plural = "rappels de date limite"
        constraints = [
            models.UniqueConstraint(fields=["family", "activity", "period_start"], name="deadline_reminder_once"),
        ]


class MoveUp(models.Model):
    """« Passage de classe » of one school year: every active child moved up a class, once (services/move_up.py)."""

    school_year = models.PositiveSmallIntegerField("année scolaire (première année)", unique=True)
    applied_at = models.DateTimeField("fait le")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="fait par", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    children_moved = models.PositiveIntegerField("enfants passés dans la classe suivante", default=0)
    enrolments_moved = models.PositiveIntegerField("inscriptions changées de groupe", default=0)

    class Meta:
        verbose_name = "passage de classe"
        verbose_name_plural = "passages de classe"
        ordering = ["-school_year"]

    def __str__(self):
        return f"Passage de classe {self.school_year}/{self.school_year + 1}"


class MoveUpChange(models.Model):
    """One child's move: old and new class, and what staff should look at (a change of school, an enrolment
    whose group could not be changed)."""

    move_up = models.ForeignKey(MoveUp, verbose_name="passage de classe", on_delete=models.CASCADE,
                                related_name="changes")
    child = models.ForeignKey("families.Child", verbose_name="enfant", on_delete=models.CASCADE,
                              related_name="move_up_changes")
    objects = ChildOwnedQuerySet.as_manager()
    old_level = models.CharField("ancienne classe", max_length=3)
    new_level = models.CharField("nouvelle classe", max_length=3)
    school_change = models.CharField("changement d'école", max_length=80, blank=True)
    note = models.CharField("à vérifier", max_length=300, blank=True)

    class Meta:
        verbose_name = "passage d'un enfant"
        verbose_name_plural = "passages des enfants"
        ordering = ["move_up", "child"]
        constraints = [models.UniqueConstraint(fields=["move_up", "child"], name="move_up_change_once_per_child")]

    def __str__(self):
        return f"{self.child} : {self.old_level} → {self.new_level}"
