from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.models import TimeStampedModel

from .quotient import QuotientPeriod, quotient_in_force
from . import allergens
from .allergens import AllergenSetField


class FamilyOwnedQuerySet(models.QuerySet):
    """Rows that belong to one family: ``Model.objects.for_family(family)`` is the family filter every view,
    selector and service builds on (``families.access`` uses it for ids in URLs). ``family_path`` is the
    lookup from the model to its family; a subclass per path (``ChildOwnedQuerySet``…) names it once."""

    family_path = "family"

    def for_family(self, family):
        return self.filter(**{self.family_path: family})


class ChildOwnedQuerySet(FamilyOwnedQuerySet):
    """Rows of a family's child (bookings, enrolments, health sheets…)."""

    family_path = "child__family"


class Family(TimeStampedModel):
    class BenefitRegime(models.TextChoices):
        CAF = "caf", "CAF (régime général)"
        MSA = "msa", "MSA (régime agricole)"
        OTHER = "other", "Autre régime"
        NONE = "none", "Aucun"

    class Situation(models.TextChoices):
        MARRIED = "married", "Marié(e)s"
        PACS = "pacs", "Pacsé(e)s"
        COHABITING = "cohabiting", "Vie maritale"
        SEPARATED = "separated", "Séparé(e)s"
        DIVORCED = "divorced", "Divorcé(e)s"
        SINGLE = "single", "Célibataire"
        WIDOWED = "widowed", "Veuf / veuve"

    number = models.CharField("n° famille", max_length=20, unique=True, blank=True)
    name = models.CharField("nom de la famille", max_length=150, db_index=True)
    situation = models.CharField("situation familiale", max_length=12, choices=Situation.choices, blank=True)
    address_line1 = models.CharField("adresse", max_length=200, blank=True)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postcode = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    home_phone = models.CharField("téléphone du domicile", max_length=30, blank=True)
    benefit_regime = models.CharField("régime", max_length=6, choices=BenefitRegime.choices, default=BenefitRegime.CAF)
    benefit_number = models.CharField("n° allocataire", max_length=30, blank=True)
    quotient = models.DecimalField("quotient familial", max_digits=8, decimal_places=2, null=True, blank=True)
    quotient_valid_from = models.DateField("QF valable du", null=True, blank=True)
    quotient_valid_until = models.DateField("QF valable jusqu'au", null=True, blank=True)
    quotient_proof = models.FileField("justificatif du QF", upload_to="quotient/%Y/", blank=True)
    allow_email = models.BooleanField("accepte les e-mails", default=True)
    allow_sms = models.BooleanField("accepte les SMS", default=False)
    is_demo = models.BooleanField("famille de démonstration", default=False, editable=False)
    # Counter rows (families/counters.py): values shown on every parent page or on the home page, kept by
    # ``counters.recount`` with their one rule in the transaction of each change, so that reading them costs no
    # query (the family row comes with the user). The navigation's badge: messages from the service the family
    # has not read (messaging). The home page: change requests and enrolment requests awaiting staff, and the
    # balance of the family's account (billing).
    unread_messages = models.PositiveIntegerField("messages non lus", default=0, editable=False)
    pending_change_requests = models.PositiveIntegerField("demandes de modification en attente", default=0,
                                                          editable=False)
    pending_enrolments = models.PositiveIntegerField("demandes d'inscription en attente", default=0, editable=False)
    balance = models.DecimalField("solde du compte", max_digits=12, decimal_places=2, default=0, editable=False)

    class Meta:
        verbose_name = "famille"
        verbose_name_plural = "familles"
        ordering = ["name", "number"]

    def __str__(self):
        return f"{self.name} ({self.number})" if self.number else self.name

    # Written only by families.counters.recount (an UPDATE of these fields alone, under the row's lock).
    COUNTER_ROWS = ("unread_messages", "pending_change_requests", "pending_enrolments", "balance")

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            # A family read before a recount committed must not write its old counts back: an update of the
            # whole row (a form, the admin) leaves the counter rows alone.
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields
                                       if not f.primary_key and f.name not in self.COUNTER_ROWS]
        super().save(*args, **kwargs)
        if not self.number:
            self.number = f"{self.pk:07d}"
            type(self).objects.filter(pk=self.pk).update(number=self.number)

    @property
    def address_lines(self):
        return [line for line in (self.address_line1, self.address_line2, f"{self.postcode} {self.city}".strip()) if line]

    def quotient_on(self, day):
        """The quotient in force on ``day`` (the tariffs' bracket key), or None.

        The validated quotient history (``QuotientRecord``) decides (``quotient.quotient_in_force``). The
        family's ``quotient`` fields are the value in force today and the span it stays in force
        (``services_quotient.family_quotient_sync`` keeps them so): a day inside that span needs no query;
        another day reads the history once per instance (or from ``quotient_history_prefetch()``). A family
        without history (older data) has only its fields, as before."""
        if self.quotient is not None and not (
            (self.quotient_valid_from and day < self.quotient_valid_from)
            or (self.quotient_valid_until and day > self.quotient_valid_until)
        ):
            return self.quotient
        return quotient_in_force(self.quotient_periods(), day)

    def quotient_periods(self):
        """The validated history as ``QuotientPeriod`` tuples: prefetched, cached on the instance, or 1 query."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("quotient_records")
        if cached is not None:
            records = [r for r in cached if r.status == QuotientRecord.Status.VALIDATED]
            return [r.period for r in records]
        if "_quotient_periods" not in self.__dict__:
            self._quotient_periods = [
                QuotientPeriod(*row) for row in QuotientRecord.objects.filter(
                    family_id=self.pk, status=QuotientRecord.Status.VALIDATED,
                ).values_list("valid_from", "valid_to", "value", "pk")
            ]
        return self._quotient_periods


class Guardian(TimeStampedModel):
    class Civility(models.TextChoices):
        MR = "M.", "Monsieur"
        MRS = "Mme", "Madame"

    class Relationship(models.TextChoices):
        FATHER = "father", "Père"
        MOTHER = "mother", "Mère"
        TUTOR = "tutor", "Tuteur / tutrice"
        OTHER = "other", "Autre"

    family = models.ForeignKey(Family, verbose_name="famille", on_delete=models.CASCADE, related_name="guardians")
    objects = FamilyOwnedQuerySet.as_manager()
    rank = models.PositiveSmallIntegerField("responsable", choices=[(1, "Responsable 1"), (2, "Responsable 2")], default=1)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="compte", null=True, blank=True, on_delete=models.SET_NULL, related_name="guardian"
    )
    civility = models.CharField("civilité", max_length=3, choices=Civility.choices)
    last_name = models.CharField("nom", max_length=100)
    first_name = models.CharField("prénom", max_length=100)
    # Compared with the identity FranceConnect returns when a parent links it (identity app).
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    relationship = models.CharField("lien avec les enfants", max_length=10, choices=Relationship.choices)
    email = models.EmailField("e-mail", blank=True)
    mobile_phone = models.CharField("téléphone portable", max_length=30, blank=True)
    work_phone = models.CharField("téléphone professionnel", max_length=30, blank=True)
    profession = models.CharField("profession", max_length=100, blank=True)
    employer = models.CharField("employeur", max_length=150, blank=True)
    employer_address = models.CharField("adresse de l'employeur", max_length=250, blank=True)
    # Separated parents: a guardian may live elsewhere than the family's address (the children's home).
    same_address = models.BooleanField("même adresse que la famille", default=True)
    address_line1 = models.CharField("adresse", max_length=200, blank=True)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postcode = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    home_phone = models.CharField("téléphone du domicile", max_length=30, blank=True)

    class Meta:
        verbose_name = "responsable légal"
        verbose_name_plural = "responsables légaux"
        ordering = ["family", "rank"]
        constraints = [models.UniqueConstraint(fields=["family", "rank"], name="guardian_unique_rank")]

    def __str__(self):
        return f"{self.get_civility_display()} {self.first_name} {self.last_name.upper()}"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name.upper()}"

    @property
    def has_own_address(self):
        return not self.same_address and bool(self.address_line1 or self.city)

    @property
    def own_address_lines(self):
        """The guardian's own address lines (empty when they live at the family's address)."""
        if not self.has_own_address:
            return []
        return [line for line in (self.address_line1, self.address_line2, f"{self.postcode} {self.city}".strip()) if line]

    @property
    def postal_address_lines(self):
        """Where to write to this guardian (an invoice or a mandate in their name): their own address when they
        live apart, else the family's. Reads ``self.family`` (no query when the caller set or selected it)."""
        return self.own_address_lines or self.family.address_lines


class Child(TimeStampedModel):
    class Sex(models.TextChoices):
        F = "F", "Fille"
        M = "M", "Garçon"

    class SchoolLevel(models.TextChoices):
        NONE = "", "Non scolarisé"
        TPS = "TPS", "Toute petite section"
        PS = "PS", "Petite section"
        MS = "MS", "Moyenne section"
        GS = "GS", "Grande section"
        CP = "CP", "CP"
        CE1 = "CE1", "CE1"
        CE2 = "CE2", "CE2"
        CM1 = "CM1", "CM1"
        CM2 = "CM2", "CM2"
        COLLEGE = "COL", "Collège"

    MATERNELLE = ("TPS", "PS", "MS", "GS")
    ELEMENTAIRE = ("CP", "CE1", "CE2", "CM1", "CM2")

    family = models.ForeignKey(Family, verbose_name="famille", on_delete=models.CASCADE, related_name="children")
    objects = FamilyOwnedQuerySet.as_manager()
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom", max_length=100)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    school = models.CharField("école", max_length=150, blank=True)
    school_level = models.CharField("niveau scolaire", max_length=3, choices=SchoolLevel.choices, blank=True)
    image_rights = models.BooleanField("droit à l'image accordé", default=False)
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "enfant"
        verbose_name_plural = "enfants"
        ordering = ["family", "birth_date"]

    def __str__(self):
        return f"{self.first_name} {self.last_name.upper()}"

    def age_on(self, day):
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class ChildHealth(TimeStampedModel):
    class Diet(models.TextChoices):
        STANDARD = "standard", "Standard"
        NO_PORK = "no_pork", "Sans porc"
        NO_MEAT = "no_meat", "Sans viande"
        VEGETARIAN = "vegetarian", "Végétarien"
        MEDICAL = "medical", "Régime médical (PAI)"

    child = models.OneToOneField(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="health")
    objects = ChildOwnedQuerySet.as_manager()
    allergies = models.TextField("allergies", blank=True)
    food_allergens = AllergenSetField(
        "allergènes alimentaires (liste réglementaire)",
        help_text="Cochez les allergènes de la liste réglementaire : les plats qui en contiennent sont signalés sur les menus.",
    )
    diet = models.CharField("régime alimentaire", max_length=12, choices=Diet.choices, default=Diet.STANDARD)
    pai = models.BooleanField("PAI (projet d'accueil individualisé)", default=False)
    pai_details = models.TextField("détails du PAI", blank=True)
    doctor_name = models.CharField("médecin traitant", max_length=150, blank=True)
    doctor_phone = models.CharField("téléphone du médecin", max_length=30, blank=True)
    glasses = models.BooleanField("porte des lunettes", default=False)
    hearing_aid = models.BooleanField("porte un appareil auditif", default=False)
    disability = models.BooleanField("situation de handicap reconnue (MDPH)", default=False)
    accommodations = models.TextField(
        "aménagements souhaités", blank=True,
        help_text="Par exemple : accompagnement (AESH), matériel adapté, temps de repos, accès sans escalier.",
    )
    notes = models.TextField("recommandations utiles", blank=True)

    class Meta:
        verbose_name = "fiche sanitaire"
        verbose_name_plural = "fiches sanitaires"

    def __str__(self):
        return f"Fiche sanitaire de {self.child}"

    @property
    def food_allergens_display(self):
        return allergens.names(self.food_allergens)


class Vaccination(models.Model):
    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="vaccinations")
    objects = ChildOwnedQuerySet.as_manager()
    vaccine = models.CharField("vaccin", max_length=100)
    date = models.DateField("date")

    class Meta:
        verbose_name = "vaccin"
        verbose_name_plural = "vaccins"
        ordering = ["child", "vaccine", "date"]

    def __str__(self):
        return f"{self.vaccine} ({self.date:%d/%m/%Y})"


class AuthorisedPerson(models.Model):
    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="authorised_persons")
    objects = ChildOwnedQuerySet.as_manager()
    last_name = models.CharField("nom", max_length=100)
    first_name = models.CharField("prénom", max_length=100)
    relationship = models.CharField("lien avec l'enfant", max_length=60, blank=True)
    phone = models.CharField("téléphone", max_length=30)
    can_pick_up = models.BooleanField("autorisé(e) à récupérer l'enfant", default=True)
    emergency_contact = models.BooleanField("à prévenir en cas d'urgence", default=False)

    class Meta:
        verbose_name = "personne autorisée"
        verbose_name_plural = "personnes autorisées / contacts d'urgence"
        ordering = ["child", "last_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name.upper()}"


class ChangeRequest(models.Model):
    """A parent's requested change to the family file; applied atomically when accepted."""

    class Kind(models.TextChoices):
        FAMILY = "family", "Foyer"
        GUARDIAN = "guardian", "Responsable légal"
        CHILD = "child", "Enfant"
        HEALTH = "health", "Fiche sanitaire"
        NEW_CHILD = "new_child", "Ajout d'un enfant"
        AUTHORISED_PERSON = "person", "Personne autorisée"
        VACCINATION = "vaccine", "Vaccin"

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        ACCEPTED = "accepted", "Acceptée"
        REFUSED = "refused", "Refusée"

    family = models.ForeignKey(Family, verbose_name="famille", on_delete=models.CASCADE, related_name="change_requests")
    objects = FamilyOwnedQuerySet.as_manager()
    kind = models.CharField("type", max_length=10, choices=Kind.choices)
    # The object changed (a Guardian, Child, ChildHealth, AuthorisedPerson or Vaccination pk); empty for a
    # family or a new object.
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_label = models.CharField("concerne", max_length=200, blank=True)
    # The child concerned (child, health sheet, authorised person; the created child once a new child is accepted).
    child = models.ForeignKey(
        Child, verbose_name="enfant", null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    # {"field": {"label": "...", "old": "...", "new": "..."}}; for a new object "old" is empty.
    changes = models.JSONField("modifications", default=dict)
    # The parent asks to remove the object (a vaccine entered by mistake): "changes" holds its values, "new" empty.
    deletion = models.BooleanField("suppression", default=False)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandée par", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField("demandée le", default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="traitée par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    refusal_reason = models.TextField("motif du refus", blank=True)

    class Meta:
        verbose_name = "demande de modification"
        verbose_name_plural = "demandes de modification"
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["family", "-requested_at"]), models.Index(fields=["status", "requested_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.target_label or self.family}"


class Invitation(models.Model):
    """A one-time, expiring link for a guardian to choose a password. Only a hash of the token is stored."""

    guardian = models.ForeignKey(Guardian, verbose_name="responsable", on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("envoyée le", auto_now_add=True)
    expires_at = models.DateTimeField("expire le")
    used_at = models.DateTimeField("utilisée le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="envoyée par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "invitation"
        verbose_name_plural = "invitations"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation de {self.guardian}"

    def is_usable(self, now=None):
        return self.used_at is None and self.expires_at > (now or timezone.now())


class QuotientRecord(models.Model):
    """One value of a family's quotient familial, where it came from and the days it is in force.

    The history is never rewritten: a new validated value closes the previous one (``valid_to``) and the
    tariffs read the value in force on each booked day (``Family.quotient_on``). A value fetched from
    API Particulier or declared with a certificate may wait for staff (``status`` pending)."""

    class Source(models.TextChoices):
        CAF = "caf", "CAF (API Particulier)"
        MSA = "msa", "MSA (API Particulier)"
        PROOF = "proof", "Attestation déposée"
        STAFF = "staff", "Saisie par le service"

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de validation"
        VALIDATED = "validated", "Validé"
        REFUSED = "refused", "Refusé"
        REPLACED = "replaced", "Remplacé"

    family = models.ForeignKey(Family, verbose_name="famille", on_delete=models.CASCADE, related_name="quotient_records")
    objects = FamilyOwnedQuerySet.as_manager()
    value = models.DecimalField("quotient familial", max_digits=8, decimal_places=2)
    source = models.CharField("origine", max_length=6, choices=Source.choices)
    benefit_month = models.DateField(
        "mois du quotient", null=True, blank=True, help_text="Le mois de calcul de la CAF ou de la MSA (1er du mois).",
    )
    allocataire = models.CharField("allocataire", max_length=200, blank=True)
    benefit_number = models.CharField("n° allocataire", max_length=30, blank=True)
    valid_from = models.DateField("appliqué à partir du")
    valid_to = models.DateField("jusqu'au", null=True, blank=True, help_text="Vide : jusqu'à la valeur suivante.")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    proof = models.FileField("attestation", upload_to="quotient/%Y/", blank=True)
    proof_name = models.CharField(max_length=200, blank=True)
    proof_type = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField("reçu le", default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandé par", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="traité par", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    validated_at = models.DateTimeField("traité le", null=True, blank=True)
    refusal_reason = models.CharField("motif du refus", max_length=300, blank=True)

    class Meta:
        verbose_name = "quotient familial (historique)"
        verbose_name_plural = "quotients familiaux (historique)"
        ordering = ["-valid_from", "-pk"]
        indexes = [models.Index(fields=["family", "status", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="quotient_record_period_ordered",
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="quotient_record_value_positive"),
        ]

    def __str__(self):
        return f"QF {self.value} ({self.get_source_display()}) – {self.family}"

    @property
    def period(self):
        return QuotientPeriod(self.valid_from, self.valid_to, self.value, self.pk)
