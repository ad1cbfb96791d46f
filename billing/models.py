"""Billing: régies, tariffs, invoices (immutable once issued), credit notes, payments,
online-payment transactions and direct-debit mandates."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from families.models import FamilyOwnedQuerySet
from portal.errors import BillingError

ZERO = Decimal("0.00")


class InvoiceOwnedQuerySet(FamilyOwnedQuerySet):
    """Rows of a family's invoice (its lines)."""

    family_path = "invoice__family"


class PaymentOwnedQuerySet(FamilyOwnedQuerySet):
    """Rows of a family's payment (its allocations to invoices)."""

    family_path = "payment__family"


def _comma(value):
    """« 25,00 »: an amount as the admin and the PDFs print it (models cannot import pricing, which imports them)."""
    return f"{value:.2f}".replace(".", ",")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=10, decimal_places=2, **kwargs)


class Regie(models.Model):
    """A public billing authority: its own numbering, address block and payment settings."""

    class Provider(models.TextChoices):
        NONE = "", "Pas de paiement en ligne"
        FAKE = "fake", "Fournisseur de démonstration (hors production)"
        PAYFIP = "payfip_ws", "PayFiP (service web de la DGFiP)"

    class PayfipMode(models.TextChoices):
        TEST = "T", "Test (T)"
        ACTIVATION = "X", "Activation (X)"
        PRODUCTION = "W", "Production (W)"

    name = models.CharField("nom", max_length=150, unique=True)
    prefix = models.CharField(
        "préfixe des factures", max_length=10, unique=True, help_text="Par exemple « AL » : factures AL-2026-00001."
    )
    structures = models.ManyToManyField(
        "enrolment.Structure", verbose_name="structures facturées", blank=True, related_name="regies"
    )
    address = models.TextField("adresse (bloc d'en-tête du PDF)", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    due_days = models.PositiveSmallIntegerField("délai de paiement (jours)", default=30)
    cheque_payee = models.CharField("ordre des chèques", max_length=150, blank=True)
    cash_desk = models.TextField("accueil de la régie (adresse et horaires)", blank=True)
    childcare_certificate = models.BooleanField(
        "ouvre droit à l'attestation de frais de garde", default=True,
        help_text="Décocher pour la restauration scolaire : les repas ne sont pas des frais de garde.",
    )
    payment_provider = models.CharField(
        "paiement en ligne", max_length=12, choices=Provider.choices, blank=True, default=""
    )
    payfip_numcli = models.CharField("PayFiP : numéro client", max_length=6, blank=True)
    payfip_mode = models.CharField(
        "PayFiP : mode (saisie)", max_length=1, choices=PayfipMode.choices, default=PayfipMode.PRODUCTION
    )
    sepa_creditor_name = models.CharField("SEPA : nom du créancier", max_length=70, blank=True)
    sepa_creditor_id = models.CharField("SEPA : identifiant créancier (ICS)", max_length=35, blank=True)
    sepa_iban = models.CharField("SEPA : IBAN du compte de la régie", max_length=34, blank=True)
    sepa_bic = models.CharField("SEPA : BIC du compte de la régie", max_length=11, blank=True)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        verbose_name = "régie"
        verbose_name_plural = "régies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def accepts_online_payment(self):
        return bool(self.payment_provider)

    @property
    def collects_direct_debit(self):
        """The régie exports SEPA direct-debit files (``debit_export`` needs its creditor id)."""
        return bool(self.sepa_creditor_id)


class NumberSequence(models.Model):
    """Last number used per régie, year and kind; locked (SELECT FOR UPDATE) to allocate the next one."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Facture"
        CREDIT_NOTE = "credit", "Avoir"

    regie = models.ForeignKey(Regie, verbose_name="régie", on_delete=models.PROTECT, related_name="sequences")
    year = models.PositiveSmallIntegerField("exercice")
    kind = models.CharField("pièce", max_length=8, choices=Kind.choices)
    last_number = models.PositiveIntegerField("dernier numéro", default=0)

    class Meta:
        verbose_name = "séquence de numérotation"
        verbose_name_plural = "séquences de numérotation"
        constraints = [models.UniqueConstraint(fields=["regie", "year", "kind"], name="billing_sequence_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.regie.prefix} {self.year} : n° {self.last_number}"


class Tariff(models.Model):
    """The price of one booking of a unit, valid between two dates: flat or by quotient bracket."""

    class Mode(models.TextChoices):
        FLAT = "flat", "Prix unique"
        QUOTIENT = "quotient", "Selon le quotient familial"

    unit = models.ForeignKey("enrolment.Unit", verbose_name="prestation", on_delete=models.CASCADE, related_name="tariffs")
    label = models.CharField("libellé", max_length=120, help_text="Par exemple « CENTRE DE LOISIRS DEMI-JOURNÉE ».")
    mode = models.CharField("type", max_length=10, choices=Mode.choices, default=Mode.FLAT)
    flat_price = money_field("prix unique", null=True, blank=True, validators=[MinValueValidator(ZERO)])
    valid_from = models.DateField("valable du")
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "tarif"
        verbose_name_plural = "tarifs"
        ordering = ["unit", "-valid_from"]
        indexes = [models.Index(fields=["unit", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="billing_tariff_dates",
            ),
            models.CheckConstraint(
                condition=~Q(mode="flat") | Q(flat_price__isnull=False), name="billing_tariff_flat_price"
            ),
        ]

    def __str__(self):
        return f"{self.label} (dès le {self.valid_from:%d/%m/%Y})"


class TariffBracket(models.Model):
    """A quotient bracket: applies to quotients up to ``quotient_up_to`` (inclusive); empty = no upper bound."""

    tariff = models.ForeignKey(Tariff, verbose_name="tarif", on_delete=models.CASCADE, related_name="brackets")
    quotient_up_to = models.DecimalField(
        "QF jusqu'à (inclus)", max_digits=8, decimal_places=2, null=True, blank=True,
        help_text="Laisser vide pour la dernière tranche (sans plafond).",
    )
    price = money_field("prix", validators=[MinValueValidator(ZERO)])

    class Meta:
        verbose_name = "tranche de quotient"
        verbose_name_plural = "tranches de quotient"
        ordering = ["tariff", models.F("quotient_up_to").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "quotient_up_to"], name="billing_bracket_unique"),
            models.UniqueConstraint(
                fields=["tariff"], condition=Q(quotient_up_to__isnull=True), name="billing_bracket_one_open"
            ),
        ]

    def __str__(self):
        bound = f"QF ≤ {_comma(self.quotient_up_to)}" if self.quotient_up_to is not None else "QF au-delà"
        return f"{bound} : {_comma(self.price)} €"


class FamilyPayer(models.Model):
    """The guardian invoices are addressed to ("tiers facturé"); rank 1 when not set."""

    family = models.OneToOneField("families.Family", verbose_name="famille", on_delete=models.CASCADE, related_name="billing_payer")
    objects = FamilyOwnedQuerySet.as_manager()
    guardian = models.ForeignKey("families.Guardian", verbose_name="responsable facturé", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "tiers facturé"
        verbose_name_plural = "tiers facturés"

    def __str__(self):
        return f"{self.family} → {self.guardian}"


class Invoice(models.Model):
    """An issued invoice: a snapshot that never changes. Only the settlement fields move."""

    class Status(models.TextChoices):
        DUE = "due", "À payer"
        PAID = "paid", "Payée"
        CANCELLED = "cancelled", "Annulée par avoir"

    # Fields that payments and credit notes update; everything else is frozen at issue.
    SETTLEMENT_FIELDS = frozenset({"paid_amount", "credited_amount", "status"})

    regie = models.ForeignKey(Regie, verbose_name="régie", on_delete=models.PROTECT, related_name="invoices")
    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.PROTECT, related_name="invoices")
    objects = FamilyOwnedQuerySet.as_manager()
    payer = models.ForeignKey(
        "families.Guardian", verbose_name="tiers facturé", null=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    number = models.CharField("n° facture", max_length=30, unique=True)
    year = models.PositiveSmallIntegerField("exercice")
    sequence_number = models.PositiveIntegerField("n° d'ordre")
    issued_on = models.DateField("date de facture")
    due_on = models.DateField("date d'échéance")
    period_start = models.DateField("période du")
    period_end = models.DateField("période au")
    total = money_field("montant")
    paid_amount = money_field("payé", default=ZERO)
    credited_amount = money_field("avoirs", default=ZERO)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.DUE, db_index=True)
    # Snapshot of who and what, as printed.
    family_name = models.CharField("famille (à l'émission)", max_length=150)
    family_number = models.CharField("n° famille (à l'émission)", max_length=20)
    payer_name = models.CharField("tiers facturé (à l'émission)", max_length=200)
    payer_address = models.TextField("adresse (à l'émission)", blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="émise par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["regie", "year", "sequence_number"], name="billing_invoice_number_unique"),
            models.CheckConstraint(condition=Q(total__gte=0), name="billing_invoice_total_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="billing_invoice_paid_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__lte=models.F("total") - models.F("credited_amount")),
                name="billing_invoice_not_overpaid",
            ),
        ]
        indexes = [
            models.Index(fields=["family", "-issued_on"]),
            models.Index(fields=["family", "status", "due_on"]),
        ]

    def __str__(self):
        return self.number

    @property
    def remaining(self):
        return self.total - self.credited_amount - self.paid_amount

    @property
    def status_label(self):
        if self.status == self.Status.DUE and self.paid_amount > 0:
            return "Partiellement payée"
        return self.get_status_display()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.SETTLEMENT_FIELDS:
                raise BillingError("Une facture émise ne peut pas être modifiée : établissez un avoir.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise BillingError("Une facture émise ne peut pas être supprimée : établissez un avoir.")


class InvoiceLine(models.Model):
    """One billed booking (child × unit × date), with names and prices copied at issue time."""

    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="lines")
    objects = InvoiceOwnedQuerySet.as_manager()
    booking = models.OneToOneField(
        "enrolment.Booking", verbose_name="réservation", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="invoice_line",
    )
    child = models.ForeignKey("families.Child", verbose_name="enfant", null=True, on_delete=models.SET_NULL, related_name="+")
    enrolment = models.ForeignKey(
        "enrolment.Enrolment", verbose_name="inscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey("enrolment.Unit", verbose_name="prestation", null=True, on_delete=models.SET_NULL, related_name="+")
    child_name = models.CharField("enfant", max_length=200)
    activity_name = models.CharField("activité", max_length=200)
    unit_name = models.CharField("prestation", max_length=120)
    tariff_label = models.CharField("tarif", max_length=120, blank=True)
    date = models.DateField("date")
    state_label = models.CharField("état", max_length=40, blank=True)
    quantity = models.PositiveSmallIntegerField("quantité", default=1)
    unit_price = money_field("prix unitaire")
    amount = money_field("montant")

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ["invoice", "child_name", "activity_name", "unit_name", "date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.child_name} – {self.unit_name}"

    def save(self, *args, **kwargs):
        if not self._state.adding and set(kwargs.get("update_fields") or ["*"]) != {"booking"}:
            raise BillingError("Une ligne de facture émise ne peut pas être modifiée.")
        super().save(*args, **kwargs)


class InvoicePdf(models.Model):
    """The rendered PDF of an issued invoice, kept so that a download does not run WeasyPrint again.

    The file lives in the default storage under MEDIA_ROOT (``factures/…``, a random name), like the
    families' private documents: MEDIA_URL is never routed, only the scoped download view streams it.
    ``fingerprint`` sums up everything the PDF shows that can still move after issue (see
    ``billing.services.invoice_pdfs.invoice_pdf_fingerprint``): the stored file is served only while
    it matches, otherwise the PDF is rendered and stored again. A derived copy, never a record: it
    may be deleted at any time and is rendered again on the next download.
    """

    invoice = models.OneToOneField(
        Invoice, verbose_name="facture", primary_key=True, on_delete=models.CASCADE, related_name="pdf"
    )
    file = models.FileField("fichier", upload_to="factures/", max_length=200)
    fingerprint = models.CharField("empreinte", max_length=64)
    size = models.PositiveIntegerField("taille (octets)")
    rendered_at = models.DateTimeField("rendu le")

    class Meta:
        verbose_name = "PDF de facture"
        verbose_name_plural = "PDF de factures"

    def __str__(self):
        return f"PDF {self.invoice_id}"


class CreditNote(models.Model):
    """A correction of an issued invoice (avoir): reduces what is due, numbered in its own sequence."""

    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="credit_notes")
    regie = models.ForeignKey(Regie, verbose_name="régie", on_delete=models.PROTECT, related_name="credit_notes")
    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.PROTECT, related_name="credit_notes")
    objects = FamilyOwnedQuerySet.as_manager()
    number = models.CharField("n° avoir", max_length=30, unique=True)
    issued_on = models.DateField("date")
    amount = money_field("montant", validators=[MinValueValidator(Decimal("0.01"))])
    reason = models.CharField("motif", max_length=300)
    line = models.ForeignKey(
        InvoiceLine, verbose_name="ligne de facture", null=True, blank=True, on_delete=models.PROTECT,
        related_name="credit_notes", help_text="La ligne corrigée, quand l'avoir porte sur une seule ligne.",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="établi par", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "avoir"
        verbose_name_plural = "avoirs"
        ordering = ["-issued_on", "-number"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_credit_positive")]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise BillingError("Un avoir émis ne peut pas être modifié.")
        super().save(*args, **kwargs)


class InvoiceReminder(models.Model):
    """One reminder (relance) of an unpaid invoice: the e-mail through the outbox and the letter PDF."""

    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="reminders")
    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE, related_name="+")
    objects = FamilyOwnedQuerySet.as_manager()
    sent_at = models.DateTimeField("relancée le")
    remaining = money_field("reste à payer à la relance")
    rank = models.PositiveSmallIntegerField("n° de relance", default=1)
    emailed_to = models.EmailField("envoyée à", blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="par", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["invoice", "-sent_at"])]

    def __str__(self):
        return f"Relance n° {self.rank} de la facture {self.invoice} du {self.sent_at:%d/%m/%Y}"


class Payment(models.Model):
    """Money received (règlement), allocated to one or more invoices."""

    class Mode(models.TextChoices):
        ONLINE = "online", "Carte bancaire en ligne"
        CHEQUE = "cheque", "Chèque"
        CASH = "cash", "Espèces"
        CESU = "cesu", "CESU"
        TRANSFER = "transfer", "Virement"
        DIRECT_DEBIT = "direct_debit", "Prélèvement"

    MANUAL_MODES = [Mode.CHEQUE, Mode.CASH, Mode.CESU, Mode.TRANSFER, Mode.DIRECT_DEBIT]

    regie = models.ForeignKey(Regie, verbose_name="régie", on_delete=models.PROTECT, related_name="payments")
    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.PROTECT, related_name="payments")
    objects = FamilyOwnedQuerySet.as_manager()
    payer = models.ForeignKey(
        "families.Guardian", verbose_name="tiers payeur", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payer_name = models.CharField("tiers payeur", max_length=200, blank=True)
    mode = models.CharField("mode de paiement", max_length=12, choices=Mode.choices)
    amount = money_field("montant", validators=[MinValueValidator(Decimal("0.01"))])
    received_on = models.DateField("date de réception")
    reference = models.CharField("référence (n° de chèque…)", max_length=100, blank=True)
    bank = models.CharField("banque", max_length=100, blank=True)
    note = models.CharField("remarque", max_length=300, blank=True)
    online_transaction = models.OneToOneField(
        "OnlineTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="enregistré par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "règlement"
        verbose_name_plural = "règlements"
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["family", "-received_on"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_positive")]

    def __str__(self):
        return f"{self.get_mode_display()} {_comma(self.amount)} € du {self.received_on:%d/%m/%Y}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, verbose_name="règlement", on_delete=models.PROTECT, related_name="allocations")
    objects = PaymentOwnedQuerySet.as_manager()
    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="allocations")
    amount = money_field("montant affecté")

    class Meta:
        verbose_name = "affectation"
        verbose_name_plural = "affectations"
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="billing_allocation_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_allocation_positive"),
        ]

    def __str__(self):
        return f"{_comma(self.amount)} € → {self.invoice}"


class OnlineTransaction(models.Model):
    """One attempt to pay one or more invoices of a family online, in one provider operation (the
    invoices are its ``items``). Its state moves only on a verified provider answer.

    PayFiP takes one debt reference (``refdet``: 1 to 30 letters or digits, eopayment's ``REFDET_RE``)
    and one amount per operation, between 1 € and 100,000 € (eopayment ``payfip_ws.Payment.minimal_amount``
    and ``maximal_amount``), with a free ``objet`` of 100 characters. A régie (not a title recovered by the
    treasury's Hélios) chooses its own references, so one transaction is one PayFiP operation whose
    ``refdet`` is ``reference`` and whose amount is the sum of its invoices' remaining amounts; the
    invoices it covers are recorded here (``OnlineTransactionInvoice``) and named in the ``objet``.
    """

    class State(models.TextChoices):
        STARTED = "started", "Démarré"
        PENDING = "pending", "En cours"
        PAID = "paid", "Payé"
        REFUSED = "refused", "Refusé"
        CANCELLED = "cancelled", "Abandonné"
        EXPIRED = "expired", "Expiré"
        ERROR = "error", "Erreur"

    ACTIVE_STATES = (State.STARTED, State.PENDING)
    FINAL_STATES = (State.PAID, State.REFUSED, State.CANCELLED, State.EXPIRED, State.ERROR)

    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.PROTECT, related_name="+")
    objects = FamilyOwnedQuerySet.as_manager()
    regie = models.ForeignKey(Regie, verbose_name="régie", on_delete=models.PROTECT, related_name="+")
    invoices = models.ManyToManyField(Invoice, verbose_name="factures", through="OnlineTransactionInvoice", related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider = models.CharField("fournisseur", max_length=12, choices=Regie.Provider.choices)
    reference = models.CharField("référence", max_length=30, unique=True)
    provider_transaction_id = models.CharField(
        "identifiant chez le fournisseur", max_length=100, unique=True, null=True, blank=True
    )
    amount = money_field("montant")
    email = models.EmailField("e-mail du reçu")
    state = models.CharField("état", max_length=10, choices=State.choices, default=State.STARTED, db_index=True)
    provider_status = models.CharField("état chez le fournisseur", max_length=200, blank=True)
    started_at = models.DateTimeField("démarré le")
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "paiement en ligne"
        verbose_name_plural = "paiements en ligne"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.reference} ({self.get_state_display()})"

    @property
    def is_active(self):
        return self.state in self.ACTIVE_STATES


class OnlineTransactionItemQuerySet(FamilyOwnedQuerySet):
    family_path = "transaction__family"


class OnlineTransactionInvoice(models.Model):
    """One invoice an online payment covers, with its remaining amount when the payment started.

    ``active`` repeats « the transaction is started or pending » (set by the payment services whenever
    the transaction ends) so that the database itself refuses two payments in progress of one invoice.
    """

    transaction = models.ForeignKey(OnlineTransaction, verbose_name="paiement en ligne", on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="online_items")
    objects = OnlineTransactionItemQuerySet.as_manager()
    amount = money_field("montant")
    active = models.BooleanField("en cours", default=True)

    class Meta:
        verbose_name = "facture d'un paiement en ligne"
        verbose_name_plural = "factures d'un paiement en ligne"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "invoice"], name="billing_online_item_unique"),
            models.UniqueConstraint(fields=["invoice"], condition=Q(active=True), name="billing_one_active_online_payment"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_online_item_positive"),
        ]

    def __str__(self):
        return f"{self.invoice_id} : {_comma(self.amount)} €"


class PaymentNotification(models.Model):
    """Every provider notification as received (raw), with what we made of it."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Acceptée"
        DUPLICATE = "duplicate", "Rejouée (sans effet)"
        REJECTED = "rejected", "Rejetée"

    received_at = models.DateTimeField("reçue le", auto_now_add=True, db_index=True)
    provider = models.CharField("fournisseur", max_length=12)
    source = models.CharField("origine", max_length=20, default="callback")
    transaction = models.ForeignKey(
        OnlineTransaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    remote_addr = models.CharField("adresse IP", max_length=64, blank=True)
    raw = models.TextField("contenu brut", blank=True)
    provider_data = models.JSONField("réponse du fournisseur", default=dict, blank=True)
    outcome = models.CharField("résultat", max_length=10, choices=Outcome.choices)
    reason = models.CharField("motif", max_length=300, blank=True)

    class Meta:
        verbose_name = "notification de paiement"
        verbose_name_plural = "notifications de paiement"
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.received_at:%d/%m/%Y %H:%M} {self.provider} {self.get_outcome_display()}"


class FakeProviderOperation(models.Model):
    """The bank side of the fake provider (development and tests only): what the "card page" decided."""

    idop = models.CharField(max_length=40, unique=True)
    numcli = models.CharField(max_length=6, blank=True)
    saisie = models.CharField(max_length=1, default="W")
    exer = models.CharField(max_length=4)
    refdet = models.CharField(max_length=30)
    montant = models.PositiveIntegerField(help_text="en centimes")
    mel = models.CharField(max_length=80)
    objet = models.CharField(max_length=100, blank=True)
    url_notification = models.CharField(max_length=300)
    url_redirect = models.CharField(max_length=300)
    resultrans = models.CharField(max_length=1, blank=True)
    numauto = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "opération du fournisseur de démonstration"
        verbose_name_plural = "opérations du fournisseur de démonstration"

    def __str__(self):
        return self.idop


class DirectDebitMandate(models.Model):
    """A SEPA direct-debit mandate asked for by a parent and accepted by staff."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Demandé"
        ACTIVE = "active", "Actif"
        REFUSED = "refused", "Refusé"
        REVOKED = "revoked", "Révoqué"

    family = models.ForeignKey("families.Family", verbose_name="famille", on_delete=models.CASCADE, related_name="mandates")
    objects = FamilyOwnedQuerySet.as_manager()
    guardian = models.ForeignKey(
        "families.Guardian", verbose_name="demandé par", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    holder_name = models.CharField("titulaire du compte", max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11, blank=True)
    holder_address = models.CharField("adresse du titulaire", max_length=250, blank=True)
    reference = models.CharField("référence unique du mandat (RUM)", max_length=35, unique=True)
    signed_on = models.DateField("date de signature")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    first_collection_done = models.BooleanField("premier prélèvement effectué", default=False)
    requested_at = models.DateTimeField("demandé le", auto_now_add=True)
    decided_at = models.DateTimeField("traité le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="traité par", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.CharField("motif du refus", max_length=300, blank=True)

    class Meta:
        verbose_name = "mandat de prélèvement"
        verbose_name_plural = "mandats de prélèvement"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["family"], condition=Q(status__in=["requested", "active"]), name="billing_one_open_mandate"
            )
        ]

    def __str__(self):
        return f"{self.reference} – {self.holder_name}"

    @property
    def iban_masked(self):
        return f"{self.iban[:4]} •••• •••• {self.iban[-4:]}"


class DirectDebitBatch(models.Model):
    """One exported pain.008 file: the invoices it collects are not exported again."""

    regie = models.ForeignKey(Regie, verbose_name="régie", on_delete=models.PROTECT, related_name="debit_batches")
    created_at = models.DateTimeField("exporté le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="exporté par", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    collection_date = models.DateField("date de prélèvement")
    total = money_field("total")
    count = models.PositiveIntegerField("nombre d'opérations")
    xml = models.TextField("fichier pain.008")
    payments_recorded_at = models.DateTimeField("règlements enregistrés le", null=True, blank=True)

    class Meta:
        verbose_name = "remise de prélèvements"
        verbose_name_plural = "remises de prélèvements"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Prélèvement {self.regie.prefix} du {self.collection_date:%d/%m/%Y} ({self.count} opérations)"


class DirectDebitItem(models.Model):
    class SequenceType(models.TextChoices):
        FIRST = "FRST", "Premier prélèvement (FRST)"
        RECURRENT = "RCUR", "Prélèvement récurrent (RCUR)"

    batch = models.ForeignKey(DirectDebitBatch, verbose_name="remise", on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="debit_items")
    mandate = models.ForeignKey(DirectDebitMandate, verbose_name="mandat", on_delete=models.PROTECT, related_name="items")
    amount = money_field("montant")
    sequence_type = models.CharField("type de prélèvement", max_length=4, choices=SequenceType.choices)

    class Meta:
        verbose_name = "opération de prélèvement"
        verbose_name_plural = "opérations de prélèvement"
        constraints = [models.UniqueConstraint(fields=["invoice"], name="billing_debit_item_invoice_unique")]

    def __str__(self):
        return f"Prélèvement de {_comma(self.amount)} € – facture {self.invoice}"
