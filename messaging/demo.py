"""Demo data of the messaging: a few threads with replies and unread messages for the demo families."""
import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from families.models import Family, Guardian
from portal.demo import register as register_demo

from enrolment.models import Enrolment

from . import mass_services
from . import services as services_module  # the function's own ``services`` are the demo's message services
from .models import Message, Service, Thread
from .sms import sms_enabled

CONVERSATIONS = [
    ("Données du dossier famille", "change", "Actualisation", [
        (False, "Bonjour,\nVeuillez trouver ci-joint le justificatif de domicile (assurance habitation).\nCordialement"),
        (True, "Bonjour,\nMerci, votre dossier est à jour pour la rentrée.\nLe service enfance"),
    ]),
    ("ALAE – Restauration", "information", "Repas sans porc", [
        (False, "Bonjour, est-il possible d'avoir des repas sans porc pour notre fille à partir de lundi ?"),
        (True, "Bonjour, c'est noté : le régime sans porc s'applique dès lundi."),
        (False, "Merci beaucoup !"),
    ]),
    ("Centres de loisirs", "information", "Sortie au parc animalier mercredi", [
        (True, "Bonjour, la sortie au parc animalier a lieu mercredi : prévoir une casquette et une gourde."),
    ]),
    ("Règlement – Facture", "complaint", "Facture d'octobre", [
        (False, "Bonjour, une journée d'absence avec certificat médical apparaît sur ma facture d'octobre."),
    ]),
]


def populate(*, stdout, rng):
    staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
    families = list(Family.objects.filter(is_demo=True).order_by("number")[:6])
    guardians = {g.family_id: g for g in Guardian.objects.filter(family__in=families, rank=1)}
    services = {s.name: s for s in Service.objects.all()}
    now = timezone.now()
    threads = 0
    for index, family in enumerate(families):
        guardian = guardians.get(family.pk)
        if guardian is None:
            continue
        for offset, (service_name, theme, subject, messages) in enumerate(CONVERSATIONS[: 2 + index % 3]):
            start = now - datetime.timedelta(days=20 - offset * 4, hours=rng.randint(0, 8))
            thread = Thread.objects.create(
                family=family, service=services[service_name], theme=theme, subject=subject,
                started_by_staff=messages[0][0], created_at=start, last_message_at=start,
                assigned_to=staff if any(from_staff for from_staff, _ in messages) else None,
            )
            for position, (from_staff, body) in enumerate(messages):
                at = start + datetime.timedelta(hours=position * 5)
                last = position == len(messages) - 1
                Message.objects.create(
                    thread=thread, author=staff if from_staff else guardian.user,
                    author_name=f"Service {service_name}" if from_staff else guardian.full_name,
                    from_staff=from_staff, body=body, created_at=at,
                    # The last staff message of each thread stays unread: the badge shows on login.
                    read_at=None if (last and from_staff) or (last and not from_staff and index % 2) else at,
                )
                thread.last_message_at = at
                if from_staff:
                    thread.last_staff_message_at = at
                else:
                    thread.last_family_message_at = at
            thread.status = Thread.Status.ANSWERED if messages[-1][0] else (
                Thread.Status.NEW if len(messages) == 1 else Thread.Status.IN_PROGRESS)
            thread.save()
            threads += 1
    services_module.unread_recount([family.pk for family in families])
    stdout.write(f"Messagerie : {threads} conversation(s) de démonstration.")
    _demo_mass_message(staff=staff, services=services, stdout=stdout)


def _demo_mass_message(*, staff, services, stdout):
    """A message to every family of the busiest current activity: in their Messagerie, and by SMS (the fake
    provider records them under Messagerie → Messages groupés → SMS envoyés). No e-mail: the demo sends none."""
    enrolment = Enrolment.objects.validated().filter(activity__season_end__gte=timezone.localdate()).select_related(
        "activity").order_by("activity__pk").first()
    service = services.get("Centres de loisirs") or next(iter(services.values()), None)
    if enrolment is None or service is None or staff is None:
        return
    mass_message = mass_services.mass_message_create(
        staff_user=staff, service=service, target="activity", activity=enrolment.activity,
        subject="Portes ouvertes samedi",
        body="Bonjour,\nL'accueil de loisirs ouvre ses portes samedi de 10 h à 12 h : venez rencontrer l'équipe.",
        send_email=False, send_sms=sms_enabled(), sms_text="Portes ouvertes de l'accueil de loisirs samedi 10h-12h.",
    )
    mass_message = mass_services.mass_message_deliver(mass_message_id=mass_message.pk) or mass_message
    stdout.write(f"Messagerie : message groupé à {mass_message.families_count} famille(s), "
                 f"{mass_message.sms_count} SMS (fournisseur de démonstration).")


register_demo(populate, order=40)
