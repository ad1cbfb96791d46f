"""« Mes données » (RGPD): everything the portal holds about a family, as a zip archive.

Each app registers a section with ``register_export(name, func, label=...)`` where
``func(family)`` returns JSON-serialisable data (dicts, lists, str, numbers, dates, Decimals).
The archive holds ``donnees.json`` (every section) and ``resume.html`` (the same, readable).
"""
import io
import json
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

_exports = {}


def register_export(name, func=None, *, label=None, order=100):
    """Register ``func(family) -> data`` under ``name``; usable as a decorator."""

    def decorator(f):
        _exports[name] = {"func": f, "label": label or name, "order": order}
        return f

    return decorator(func) if func else decorator


def export_sections(family):
    """[(name, label, data)] in registration order."""
    sections = []
    for name, spec in sorted(_exports.items(), key=lambda item: (item[1]["order"], item[0])):
        sections.append((name, spec["label"], spec["func"](family)))
    return sections


def build_archive(family, now=None):
    """The zip archive (bytes) offered on "Mes données"."""
    now = now or timezone.now()
    sections = export_sections(family)
    payload = {
        "genere_le": now,
        "famille": {"numero": family.number, "nom": family.name},
        "rubriques": {name: data for name, _label, data in sections},
    }
    json_text = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    # Round-trip so the HTML shows exactly what the JSON holds (dates as text, Decimals as strings).
    plain = json.loads(json_text)["rubriques"]
    html = render_to_string("portal/gdpr_summary.html", {
        "family": family, "now": now,
        "sections": [(label, render_value(plain[name])) for name, label, _data in sections],
    })
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json_text)
        archive.writestr("resume.html", html)
    return buffer.getvalue()


def render_value(value):
    """Readable HTML for nested data: a list of records becomes a table, a record a definition list."""
    if isinstance(value, list):
        if not value:
            return mark_safe("<p>Aucune donnée.</p>")
        if all(isinstance(item, dict) for item in value):
            keys = []
            for item in value:
                keys.extend(k for k in item if k not in keys)
            head = "".join(f'<th scope="col">{escape(_label(k))}</th>' for k in keys)
            rows = "".join(
                "<tr>" + "".join(f"<td>{render_value(item.get(k, ''))}</td>" for k in keys) + "</tr>" for item in value
            )
            return mark_safe(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        return mark_safe("<ul>" + "".join(f"<li>{render_value(item)}</li>" for item in value) + "</ul>")
    if isinstance(value, dict):
        if not value:
            return mark_safe("—")
        items = "".join(f"<dt>{escape(_label(k))}</dt><dd>{render_value(v)}</dd>" for k, v in value.items())
        return mark_safe(f"<dl>{items}</dl>")
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if value is None or value == "":
        return "—"
    return escape(str(value))


def _label(key):
    return str(key).replace("_", " ").capitalize()


# --- The family file itself -------------------------------------------------------------------------------------

def _family_file(family):
    from families.models import ChangeRequest, Guardian

    guardians = [
        {
            "responsable": g.rank, "civilite": g.get_civility_display(), "nom": g.last_name, "prenom": g.first_name,
            "lien": g.get_relationship_display(), "email": g.email, "portable": g.mobile_phone,
            "telephone_pro": g.work_phone, "profession": g.profession, "employeur": g.employer,
            "adresse_employeur": g.employer_address, "compte_portail": bool(g.user_id),
        }
        for g in Guardian.objects.filter(family=family).order_by("rank")
    ]
    requests = [
        {"type": r.get_kind_display(), "concerne": r.target_label, "modifications": r.changes,
         "etat": r.get_status_display(), "demandee_le": r.requested_at, "traitee_le": r.decided_at,
         "motif_refus": r.refusal_reason}
        for r in ChangeRequest.objects.filter(family=family).order_by("-requested_at")
    ]
    return {
        "numero": family.number, "nom": family.name, "situation": family.get_situation_display(),
        "adresse": family.address_lines, "telephone_domicile": family.home_phone,
        "regime": family.get_benefit_regime_display(), "numero_allocataire": family.benefit_number,
        "quotient_familial": family.quotient, "quotient_valable_du": family.quotient_valid_from,
        "quotient_valable_jusqu_au": family.quotient_valid_until, "accepte_emails": family.allow_email,
        "accepte_sms": family.allow_sms, "responsables": guardians, "demandes_de_modification": requests,
    }


def _children(family):
    from families.selectors import family_children_sheets

    result = []
    for child in family_children_sheets(family=family):
        health = getattr(child, "health", None)
        result.append({
            "prenom": child.first_name, "nom": child.last_name, "date_de_naissance": child.birth_date,
            "sexe": child.get_sex_display(), "ecole": child.school, "niveau": child.get_school_level_display(),
            "droit_a_l_image": child.image_rights,
            "fiche_sanitaire": {
                "allergies": health.allergies, "regime": health.get_diet_display(), "pai": health.pai,
                "details_pai": health.pai_details, "medecin": health.doctor_name,
                "telephone_medecin": health.doctor_phone, "lunettes": health.glasses,
                "appareil_auditif": health.hearing_aid, "recommandations": health.notes,
            } if health else {},
            "vaccins": [{"vaccin": v.vaccine, "date": v.date} for v in child.vaccinations.all()],
            "personnes_autorisees": [
                {"nom": p.last_name, "prenom": p.first_name, "lien": p.relationship, "telephone": p.phone,
                 "peut_recuperer": p.can_pick_up, "contact_urgence": p.emergency_contact}
                for p in child.authorised_persons.all()
            ],
        })
    return result


def _audit(family):
    from .models import AuditLog

    return [
        {"date": e.at, "auteur": (e.actor.get_full_name() or e.actor.email) if e.actor else "", "action": e.summary,
         "anciennes_valeurs": e.old_values, "nouvelles_valeurs": e.new_values}
        for e in AuditLog.objects.filter(family=family).select_related("actor").order_by("-at")
    ]


register_export("dossier_famille", _family_file, label="Dossier famille", order=10)
register_export("enfants", _children, label="Enfants et fiches sanitaires", order=20)
register_export("journal", _audit, label="Journal des décisions du service", order=900)


# --- Enrolment and billing (read from their models; the apps own the data) -----------------------------------------

def _enrolments(family):
    from enrolment.models import Enrolment

    return [
        {"enfant": f"{e.child.first_name} {e.child.last_name}", "activite": e.activity.name, "groupe": e.group.name,
         "etat": e.get_status_display(), "demandee_le": e.requested_at, "traitee_le": e.decided_at,
         "motif_refus": e.refusal_reason}
        for e in Enrolment.objects.filter(child__family=family).select_related("child", "activity", "group")
        .order_by("-requested_at")
    ]


def _bookings(family):
    from enrolment.models import Booking

    return [
        {"date": b.date, "enfant": b.child.first_name, "activite": b.unit.activity.name, "prestation": b.unit.name,
         "etat": b.get_state_display()}
        for b in Booking.objects.filter(child__family=family).select_related("child", "unit__activity")
        .order_by("-date", "child__first_name").iterator(chunk_size=2000)
    ]


def _invoices(family):
    from billing.models import Invoice, InvoiceLine
    from django.db.models import Prefetch

    invoices = Invoice.objects.filter(family=family).select_related("regie").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("date", "pk"))
    ).order_by("-issued_on", "-number")
    return [
        {"numero": i.number, "regie": i.regie.name, "date": i.issued_on, "echeance": i.due_on,
         "periode": f"{i.period_start:%d/%m/%Y} – {i.period_end:%d/%m/%Y}", "montant": i.total,
         "paye": i.paid_amount, "avoirs": i.credited_amount, "etat": i.get_status_display(),
         "lignes": [{"date": line.date, "enfant": line.child_name, "activite": line.activity_name,
                     "prestation": line.unit_name, "quantite": line.quantity, "prix_unitaire": line.unit_price,
                     "montant": line.amount} for line in i.lines.all()]}
        for i in invoices
    ]


def _payments(family):
    from billing.models import Payment

    return [
        {"date": p.received_on, "regie": p.regie.name, "mode": p.get_mode_display(), "montant": p.amount,
         "reference": p.reference, "payeur": p.payer_name}
        for p in Payment.objects.filter(family=family).select_related("regie").order_by("-received_on", "-pk")
    ]


register_export("inscriptions", _enrolments, label="Inscriptions", order=30)
register_export("reservations", _bookings, label="Réservations", order=40)
register_export("factures", _invoices, label="Factures", order=50)
register_export("paiements", _payments, label="Paiements", order=55)
