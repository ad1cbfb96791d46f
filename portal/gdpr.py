"""« Mes données » (RGPD): everything the portal holds about a family, as a zip archive.

Each app registers its sections from its ``gdpr.py`` (imported by its ``AppConfig.ready``) with
``register_export(name, func, label=..., order=...)`` where ``func(family)`` returns JSON-serialisable data
(dicts, lists, str, numbers, dates, Decimals). Core registers only what it owns: the audit log.
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

from .models import AuditLog

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


# --- What core holds: the staff decisions on the family ---------------------------------------------------------

def _audit(family):
    return [
        {"date": e.at, "auteur": (e.actor.get_full_name() or e.actor.email) if e.actor else "", "action": e.summary,
         "anciennes_valeurs": e.old_values, "nouvelles_valeurs": e.new_values}
        for e in AuditLog.objects.filter(family=family).select_related("actor").order_by("-at")
    ]


register_export("journal", _audit, label="Journal des décisions du service", order=900)
