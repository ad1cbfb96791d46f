"""Message threads of the city: none to three conversations per family, one to four messages each,
parents and the service taking turns."""
import datetime

from messaging.models import Message, Service, Thread

from .bulk import Copier, Ids, copy_rows

COPIED = (Thread, Message)
MESSAGE_SUBJECTS = [
    ("information", "Horaires de l'ALAE du soir", "Bonjour, à quelle heure ferme l'ALAE du soir le vendredi ?"),
    ("change", "Changement de jours de cantine", "Bonjour, à partir du mois prochain notre fille mangera aussi le mardi."),
    ("information", "Menu de la semaine", "Bonjour, où trouver les menus du mois ?"),
    ("complaint", "Facture du mois dernier", "Bonjour, une absence avec certificat médical a été facturée."),
    ("change", "Nouvelle adresse", "Bonjour, nous avons déménagé, voici notre justificatif de domicile."),
    ("information", "Sortie du mercredi", "Bonjour, faut-il prévoir un pique-nique pour la sortie de mercredi ?"),
]
STAFF_ANSWERS = [
    "Bonjour, c'est bien noté. Bonne journée.",
    "Bonjour, la modification est faite, elle apparaît dans votre planning.",
    "Bonjour, les menus sont dans l'onglet Actualités. Cordialement.",
    "Bonjour, l'absence a été excusée : un avoir sera établi sur la prochaine facture.",
]


def generate(run, families):
    rng, now, cur = run.rng, run.now, run.cur
    services = list(Service.objects.filter(is_active=True).order_by("order"))
    if not services:
        services = [Service.objects.create(name="ALAE – Restauration", order=1)]
    th_ids, msg_ids = Ids(cur, Thread), Ids(cur, Message)
    threads = Copier(cur, Thread, ["id", "family_id", "service_id", "theme", "subject", "status", "started_by_staff",
                                   "created_at", "last_message_at", "last_family_message_at",
                                   "last_staff_message_at"], now)
    msgs = []
    with threads:
        for f in families:
            k = rng.choices([0, 1, 2, 3], weights=[45, 30, 17, 8])[0]
            for _ in range(k):
                tid = th_ids.next()
                theme, subject, body = rng.choice(MESSAGE_SUBJECTS)
                start = now - datetime.timedelta(days=rng.randint(1, 300), minutes=rng.randint(0, 600))
                g = f["guardians"][0]
                moments = []
                t = start
                n_msgs = rng.randint(1, 4)
                for j in range(n_msgs):
                    staff = j % 2 == 1
                    moments.append((t, staff))
                    msgs.append((msg_ids.next(), tid, None if staff else g["user_id"],
                                 "Service enfance" if staff else g["name"], staff,
                                 rng.choice(STAFF_ANSWERS) if staff else body, t,
                                 t + datetime.timedelta(hours=2) if (j < n_msgs - 1 or rng.random() < 0.6)
                                 else None))
                    t = t + datetime.timedelta(hours=rng.randint(1, 48))
                last = moments[-1][0]
                fam_last = max((m for m, s in moments if not s), default=None)
                staff_last = max((m for m, s in moments if s), default=None)
                threads.row(tid, f["id"], rng.choice(services).id, theme, subject,
                            "answered" if staff_last and staff_last == last else "new", False, start, last,
                            fam_last, staff_last)
    messages = copy_rows(cur, now, Message, ["id", "thread_id", "author_id", "author_name", "from_staff", "body",
                                             "created_at", "read_at"], msgs)
    run.counts.update({"conversations": threads.count, "messages": messages})
