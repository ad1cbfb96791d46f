"""Petite enfance: crèches, the CNAF rate tables (PSU), pre-enrolments, the allocation commission,
childcare contracts, arrival and departure times, deductions and the monthly hours kept for the CAF.

Sources of the rules (cited again where they are used, in ``pricing.py`` and its tests):
- Cnaf, circulaire 2019-005 du 5 juin 2019, « barème national des participations familiales »: effort
  rates by number of dependent children, floor and ceiling of monthly resources published each year,
  a child with a disability (AEEH) in the family counts as one more child.
- Cnaf, circulaire 2014-009 du 26 mars 2014 (PSU): mensualisation of a regular contract, extra hours
  counted by the half-hour, the deductions allowed (closure of the crèche, hospitalisation, eviction by
  the crèche's doctor, illness beyond a waiting period of 3 days with a medical certificate).
"""
import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from families.models import FamilyOwnedQuerySet

WEEKDAYS = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"]


class PreEnrolmentOwnedQuerySet(FamilyOwnedQuerySet):
    family_path = "pre_enrolment__family"


class DecisionOwnedQuerySet(FamilyOwnedQuerySet):
    family_path = "pre_enrolment__family"


class ContractOwnedQuerySet(FamilyOwnedQuerySet):
    family_path = "contract__family"


# --------------------------------------------------------------------------- crèches


class Nursery(models.Model):
    """A crèche (multi-accueil): an enrolment ``Structure`` (the facility) with what the crèche adds."""

    structure = models.OneToOneField(
        "enrolment.Structure", verbose_name="équipement", on_delete=models.PROTECT, related_name="nursery"
    )
    regie = models.ForeignKey(
        "billing.Regie", verbose_name="régie de facturation", on_delete=models.PROTECT, related_name="nurseries"
    )
    places = models.PositiveSmallIntegerField("places agréées", default=20)
    opens_at = models.TimeField("ouverture", default=datetime.time(7, 30))
    closes_at = models.TimeField("fermeture", default=datetime.time(18, 30))
    is_active = models.BooleanField("proposée aux familles", default=True)

    class Meta:
        verbose_name = "crèche"
        verbose_name_plural = "crèches"
        ordering = ["structure__name"]

    def __str__(self):
        return self.structure.name

    @property
    def name(self):
        return self.structure.name


class NurseryClosure(models.Model):
    """Days the crèche closes beyond the weeks already left out of the contracts (strike, works…): deducted
    from every contract of the crèche (circulaire 2014-009: « fermeture de la structure »)."""

    nursery = models.ForeignKey(Nursery, verbose_name="crèche", on_delete=models.CASCADE, related_name="closures")
    start = models.DateField("du")
    end = models.DateField("au")
    reason = models.CharField("motif", max_length=150)

    class Meta:
        verbose_name = "fermeture exceptionnelle"
        verbose_name_plural = "fermetures exceptionnelles"
        ordering = ["nursery", "start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="earlychildhood_closure_dates")]

    def __str__(self):
        return f"{self.nursery} fermée du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


class AgeSection(models.Model):
    """A section of a crèche by age (bébés, moyens, grands)."""

    nursery = models.ForeignKey(Nursery, verbose_name="crèche", on_delete=models.CASCADE, related_name="sections")
    name = models.CharField("nom", max_length=60)
    min_months = models.PositiveSmallIntegerField("âge minimum (mois)", default=0)
    max_months = models.PositiveSmallIntegerField("âge maximum (mois)", default=36)
    places = models.PositiveSmallIntegerField("places", default=10)

    class Meta:
        verbose_name = "section d'âge"
        verbose_name_plural = "sections d'âge"
        ordering = ["nursery", "min_months"]

    def __str__(self):
        return f"{self.nursery} – {self.name}"


# --------------------------------------------------------------------------- CNAF tables (dated, staff edit them)


class EffortRate(models.Model):
    """The hourly effort rate (taux de participation familiale par heure facturée) of the barème
    national, for a number of dependent children, from a date (Cnaf circulaire 2019-005)."""

    valid_from = models.DateField("applicable à partir du")
    children_min = models.PositiveSmallIntegerField("enfants à charge, de")
    children_max = models.PositiveSmallIntegerField("à (vide : et plus)", null=True, blank=True)
    rate_percent = models.DecimalField(
        "taux d'effort (%)", max_digits=6, decimal_places=4, validators=[MinValueValidator(0)],
        help_text="En pourcentage des ressources mensuelles, par heure : 0,0619 pour 0,0619 %.",
    )
    source = models.CharField("source", max_length=200, blank=True)

    class Meta:
        verbose_name = "taux d'effort (barème Cnaf)"
        verbose_name_plural = "taux d'effort (barème Cnaf)"
        ordering = ["-valid_from", "children_min"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from", "children_min"], name="earlychildhood_rate_unique"),
        ]

    def __str__(self):
        upto = f"à {self.children_max}" if self.children_max else "et plus"
        return f"{self.children_min} {upto} enfant(s) : {self.rate_percent} % (dès le {self.valid_from:%d/%m/%Y})"


class ResourceBound(models.Model):
    """The floor (plancher) or ceiling (plafond) of monthly resources from a date; the Cnaf publishes
    them each year and they change on different dates (the ceiling on 1 September in 2024 and 2025)."""

    class Kind(models.TextChoices):
        FLOOR = "floor", "Plancher"
        CEILING = "ceiling", "Plafond"

    kind = models.CharField("type", max_length=8, choices=Kind.choices)
    valid_from = models.DateField("applicable à partir du")
    amount = models.DecimalField("ressources mensuelles (€)", max_digits=10, decimal_places=2)
    source = models.CharField("source", max_length=200, blank=True)

    class Meta:
        verbose_name = "plancher ou plafond de ressources"
        verbose_name_plural = "planchers et plafonds de ressources"
        ordering = ["kind", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["kind", "valid_from"], name="earlychildhood_bound_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {str(self.amount).replace('.', ',')} € (dès le {self.valid_from:%d/%m/%Y})"


class Criterion(models.Model):
    """A family situation the commission weighs, with its published weight (points)."""

    code = models.SlugField("code", max_length=30, unique=True)
    label = models.CharField("libellé", max_length=150)
    weight = models.PositiveSmallIntegerField("points")
    proof_type = models.ForeignKey(
        "documents.DocumentType", verbose_name="justificatif demandé", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    is_health = models.BooleanField(
        "relève de la santé", default=False, help_text="Jamais imprimé sur le procès-verbal de la commission."
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "critère d'attribution"
        verbose_name_plural = "critères d'attribution (barème publié)"
        ordering = ["order", "label"]

    def __str__(self):
        return f"{self.label} ({self.weight} pts)"


# --------------------------------------------------------------------------- pre-enrolment


class PreEnrolment(models.Model):
    """A request for a crèche place (préinscription), for a born or an expected child."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        OFFERED = "offered", "Place proposée"
        ACCEPTED = "accepted", "Place acceptée"
        REFUSED = "refused", "Refusée"
        WITHDRAWN = "withdrawn", "Retirée"
        LAPSED = "lapsed", "Caduque"

    OPEN_STATUSES = (Status.PENDING, Status.OFFERED)

    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE,
                               related_name="pre_enrolments")
    objects = FamilyOwnedQuerySet.as_manager()
    child = models.ForeignKey("families.Child", verbose_name="enfant", null=True, blank=True,
                              on_delete=models.CASCADE, related_name="pre_enrolments")
    expected_birth_date = models.DateField("naissance prévue le", null=True, blank=True)
    expected_first_name = models.CharField("prénom envisagé", max_length=100, blank=True)
    wished_start = models.DateField("date d'entrée souhaitée")
    schedule = models.JSONField("jours et horaires souhaités", default=dict,
                                help_text='{"0": ["08:30", "17:30"], …} : 0 = lundi.')
    nursery_1 = models.ForeignKey(Nursery, verbose_name="crèche (1er choix)", on_delete=models.PROTECT, related_name="+")
    nursery_2 = models.ForeignKey(Nursery, verbose_name="crèche (2e choix)", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    nursery_3 = models.ForeignKey(Nursery, verbose_name="crèche (3e choix)", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    criteria = models.ManyToManyField(Criterion, verbose_name="situation de la famille", blank=True, related_name="+")
    monthly_resources = models.DecimalField("ressources mensuelles déclarées (€)", max_digits=10, decimal_places=2,
                                            null=True, blank=True)
    dependent_children = models.PositiveSmallIntegerField("enfants à charge (avec celui-ci)", default=1,
                                                          validators=[MinValueValidator(1), MaxValueValidator(20)])
    disabled_children = models.PositiveSmallIntegerField("dont enfants bénéficiaires de l'AEEH", default=0,
                                                         validators=[MaxValueValidator(20)])
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField("déposée le")
    confirmed_at = models.DateTimeField("confirmée le")
    confirmation_asked_at = models.DateTimeField("confirmation demandée le", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="créée par", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = "préinscription en crèche"
        verbose_name_plural = "préinscriptions en crèche"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["family", "-created_at"]), models.Index(fields=["status", "confirmed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(child__isnull=False) | Q(expected_birth_date__isnull=False),
                name="earlychildhood_pre_child_or_expected",
            ),
        ]

    def __str__(self):
        return f"Préinscription de {self.child_label} ({self.family})"

    @property
    def child_label(self):
        if self.child_id:
            return self.child.first_name
        name = self.expected_first_name or "enfant à naître"
        return f"{name} (naissance prévue le {self.expected_birth_date:%d/%m/%Y})"

    @property
    def child_name(self):
        """The name printed on a contract and its invoices: the child's, or the expected child's."""
        if self.child_id:
            return str(self.child)
        return f"{self.expected_first_name or 'Bébé'} {self.family.name.upper()} (à naître)"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def nurseries(self):
        return [n for n in (self.nursery_1, self.nursery_2, self.nursery_3) if n is not None]


class PreEnrolmentEvent(models.Model):
    """The history a parent sees: created, updated, confirmed, decisions, lapsed…"""

    pre_enrolment = models.ForeignKey(PreEnrolment, on_delete=models.CASCADE, related_name="events")
    objects = PreEnrolmentOwnedQuerySet.as_manager()
    at = models.DateTimeField("le")
    label = models.CharField("événement", max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "historique de préinscription"
        verbose_name_plural = "historique des préinscriptions"
        ordering = ["pre_enrolment", "at", "pk"]

    def __str__(self):
        return self.label


# --------------------------------------------------------------------------- the commission


class CommissionSession(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", "En préparation"
        HELD = "held", "Tenue, décisions envoyées"

    date = models.DateField("date de la commission")
    name = models.CharField("intitulé", max_length=150)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PREPARING)
    held_at = models.DateTimeField("décisions envoyées le", null=True, blank=True)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="tenue par", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        verbose_name = "commission d'attribution"
        verbose_name_plural = "commissions d'attribution"
        ordering = ["-date"]

    def __str__(self):
        return f"{self.name} du {self.date:%d/%m/%Y}"


class SessionPlaces(models.Model):
    """Places a session gives in one section of a crèche from a start date."""

    session = models.ForeignKey(CommissionSession, on_delete=models.CASCADE, related_name="places")
    section = models.ForeignKey(AgeSection, verbose_name="section", on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField("à partir du")
    places = models.PositiveSmallIntegerField("places")

    class Meta:
        verbose_name = "places à attribuer"
        verbose_name_plural = "places à attribuer"
        ordering = ["session", "section__nursery__structure__name", "section__min_months", "start_date"]
        constraints = [models.UniqueConstraint(fields=["session", "section", "start_date"], name="earlychildhood_places_unique")]

    def __str__(self):
        return f"{self.section} dès le {self.start_date:%d/%m/%Y} : {self.places}"


class Decision(models.Model):
    class Kind(models.TextChoices):
        OFFER = "offer", "Place proposée"
        KEEP = "keep", "Reportée à la prochaine commission"
        REFUSE = "refuse", "Refusée"

    class Answer(models.TextChoices):
        WAITING = "", "—"
        ACCEPTED = "accepted", "Acceptée"
        DECLINED = "declined", "Déclinée"
        LAPSED = "lapsed", "Expirée sans réponse"

    session = models.ForeignKey(CommissionSession, verbose_name="commission", on_delete=models.PROTECT,
                                related_name="decisions")
    pre_enrolment = models.ForeignKey(PreEnrolment, verbose_name="préinscription", on_delete=models.CASCADE,
                                      related_name="decisions")
    objects = DecisionOwnedQuerySet.as_manager()
    kind = models.CharField("décision", max_length=8, choices=Kind.choices)
    places = models.ForeignKey(SessionPlaces, verbose_name="place", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="decisions")
    schedule = models.JSONField("horaires proposés", default=dict, blank=True)
    reason = models.CharField("motif", max_length=300, blank=True)
    score = models.IntegerField("points", default=0)
    score_lines = models.JSONField("détail des points", default=list)
    decided_at = models.DateTimeField("décidée le")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="décidée par", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    offer_expires_on = models.DateField("réponse attendue avant le", null=True, blank=True)
    answer = models.CharField("réponse", max_length=10, choices=Answer.choices, blank=True, default="")
    answered_at = models.DateTimeField("répondue le", null=True, blank=True)

    class Meta:
        verbose_name = "décision de commission"
        verbose_name_plural = "décisions de commission"
        ordering = ["session", "-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "pre_enrolment"], name="earlychildhood_decision_unique"),
            models.CheckConstraint(condition=~Q(kind="offer") | Q(places__isnull=False), name="earlychildhood_offer_place"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.pre_enrolment}"

    @property
    def holds_place(self):
        """An offer holds its place until declined or lapsed."""
        return self.kind == self.Kind.OFFER and self.answer in ("", self.Answer.ACCEPTED)


# --------------------------------------------------------------------------- contracts and billing


class ChildcareContract(models.Model):
    """A regular childcare contract (contrat d'accueil) under the PSU: weekly schedule, weeks a year,
    and the hourly rate worked out at signature (its inputs are kept, so the parent sees how)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "En cours"
        ENDED = "ended", "Terminé"

    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.PROTECT,
                               related_name="childcare_contracts")
    objects = FamilyOwnedQuerySet.as_manager()
    child = models.ForeignKey("families.Child", verbose_name="enfant", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="childcare_contracts")
    child_name = models.CharField("enfant", max_length=200)
    nursery = models.ForeignKey(Nursery, verbose_name="crèche", on_delete=models.PROTECT, related_name="contracts")
    section = models.ForeignKey(AgeSection, verbose_name="section", on_delete=models.PROTECT, related_name="contracts")
    decision = models.OneToOneField(Decision, verbose_name="décision", null=True, blank=True, on_delete=models.SET_NULL, related_name="contract")
    start_date = models.DateField("début")
    end_date = models.DateField("fin")
    schedule = models.JSONField("horaires de la semaine", default=dict)
    weekly_hours = models.DecimalField("heures par semaine", max_digits=5, decimal_places=2)
    weeks_per_year = models.DecimalField("semaines d'accueil par an", max_digits=4, decimal_places=1, default=45)
    months = models.PositiveSmallIntegerField("nombre de mois de mensualisation", default=12,
                                              validators=[MinValueValidator(1), MaxValueValidator(36)])
    monthly_resources = models.DecimalField("ressources mensuelles (€)", max_digits=10, decimal_places=2)
    dependent_children = models.PositiveSmallIntegerField("enfants à charge", default=1)
    disabled_children = models.PositiveSmallIntegerField("dont bénéficiaires de l'AEEH", default=0)
    floor = models.DecimalField("plancher appliqué (€)", max_digits=10, decimal_places=2)
    ceiling = models.DecimalField("plafond appliqué (€)", max_digits=10, decimal_places=2)
    rate_percent = models.DecimalField("taux d'effort appliqué (%)", max_digits=6, decimal_places=4)
    hourly_rate = models.DecimalField("tarif horaire (€)", max_digits=8, decimal_places=2)
    monthly_hours = models.DecimalField("heures mensualisées", max_digits=7, decimal_places=2)
    monthly_amount = models.DecimalField("mensualité (€)", max_digits=10, decimal_places=2)
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "contrat d'accueil"
        verbose_name_plural = "contrats d'accueil"
        ordering = ["-start_date"]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")),
                                              name="earlychildhood_contract_dates")]

    def __str__(self):
        return f"Contrat de {self.child_name} – {self.nursery} ({self.start_date:%d/%m/%Y})"


class Attendance(models.Model):
    """Arrival and departure of a child at the crèche on a day, recorded by staff."""

    contract = models.ForeignKey(ChildcareContract, verbose_name="contrat", on_delete=models.CASCADE, related_name="attendances")
    objects = ContractOwnedQuerySet.as_manager()
    date = models.DateField("jour")
    arrival = models.TimeField("arrivée")
    departure = models.TimeField("départ", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = "présence en crèche"
        verbose_name_plural = "présences en crèche"
        ordering = ["contract", "date"]
        constraints = [models.UniqueConstraint(fields=["contract", "date"], name="earlychildhood_attendance_unique")]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.arrival:%H:%M}–{self.departure:%H:%M}" if self.departure else f"{self.date}"


class Deduction(models.Model):
    """An absence the CNAF allows to deduct from the monthly amount (circulaire 2014-009)."""

    class Kind(models.TextChoices):
        CLOSURE = "closure", "Fermeture de la crèche"
        HOSPITAL = "hospital", "Hospitalisation de l'enfant"
        EVICTION = "eviction", "Éviction par le médecin de la crèche"
        ILLNESS = "illness", "Maladie avec certificat médical (au-delà de 3 jours de carence)"

    contract = models.ForeignKey(ChildcareContract, verbose_name="contrat", on_delete=models.CASCADE, related_name="deductions")
    objects = ContractOwnedQuerySet.as_manager()
    kind = models.CharField("motif", max_length=10, choices=Kind.choices)
    start = models.DateField("du")
    end = models.DateField("au")
    certificate = models.BooleanField("certificat fourni", default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = "déduction"
        verbose_name_plural = "déductions"
        ordering = ["contract", "start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="earlychildhood_deduction_dates")]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


class MonthlyStatement(models.Model):
    """One invoiced month of a contract: the hours kept for the CAF (contract, billed, attended) and the
    amounts of each line. Unique per contract and month: invoicing a month twice creates nothing."""

    contract = models.ForeignKey(ChildcareContract, verbose_name="contrat", on_delete=models.PROTECT, related_name="statements")
    objects = ContractOwnedQuerySet.as_manager()
    month = models.DateField("mois")
    contract_hours = models.DecimalField("heures du contrat", max_digits=7, decimal_places=2)
    extra_half_hours = models.PositiveIntegerField("demi-heures complémentaires")
    deducted_hours = models.DecimalField("heures déduites", max_digits=7, decimal_places=2)
    billed_hours = models.DecimalField("heures facturées", max_digits=7, decimal_places=2)
    attended_hours = models.DecimalField("heures réalisées", max_digits=7, decimal_places=2)
    smoothed_amount = models.DecimalField("mensualité (€)", max_digits=10, decimal_places=2)
    extra_amount = models.DecimalField("heures complémentaires (€)", max_digits=10, decimal_places=2)
    deducted_amount = models.DecimalField("déductions (€)", max_digits=10, decimal_places=2)
    total = models.DecimalField("total (€)", max_digits=10, decimal_places=2)
    details = models.JSONField("détail", default=dict)
    invoice = models.OneToOneField("billing.Invoice", verbose_name="facture", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="childcare_statement")
    created_at = models.DateTimeField("établi le", auto_now_add=True)

    class Meta:
        verbose_name = "relevé mensuel (heures CAF)"
        verbose_name_plural = "relevés mensuels (heures CAF)"
        ordering = ["-month", "contract"]
        constraints = [models.UniqueConstraint(fields=["contract", "month"], name="earlychildhood_statement_unique")]

    def __str__(self):
        return f"{self.contract.child_name} – {self.month:%m/%Y}"
