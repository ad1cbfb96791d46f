import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from families.tests.factories import StaffFactory, parent_with_family
from messaging import selectors, services
from messaging.models import Attachment, Message, Service, Thread
from messaging.tests.factories import pdf_bytes, png_bytes, upload
from portal.errors import MessagingError
from portal.models import AuditLog, Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    service, _ = Service.objects.get_or_create(name="Scolarité")
    service.email = "scolarite@mairie.example.org"
    service.save()
    return service


def _compose(client, service, **extra):
    data = {"service": service.pk, "theme": "information", "subject": "Justificatif de domicile",
            "body": "Bonjour,\nVeuillez trouver ci-joint le justificatif.\nCordialement", **extra}
    return client.post(reverse("messaging:compose"), data)


def test_default_services_exist():
    names = list(Service.objects.values_list("name", flat=True))
    assert "ALAE – Restauration" in names and "PAI – Allergie – MDPH" in names and len(names) == 7


def test_compose_page_lists_services_and_themes(parent_client):
    body = parent_client.get(reverse("messaging:compose")).content.decode()
    assert "Crèche – Petite enfance" in body and "Réclamations" in body and "Nous envoyer un message" in body


def test_family_sends_message_with_attachment_staff_notified_without_body(
    parent_client, parent, service, django_capture_on_commit_callbacks
):
    user, family = parent
    with django_capture_on_commit_callbacks(execute=True):
        response = _compose(parent_client, service, attachment_1=upload("domicile.pdf"), copy_to_sender="on")
    thread = Thread.objects.get(family=family)
    assert response.status_code == 302 and response.url == reverse("messaging:thread", args=[thread.pk])
    assert thread.status == Thread.Status.NEW and thread.service == service
    message = thread.messages.get()
    assert message.attachments.get().original_name == "domicile.pdf"
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([service.email, user.guardian.email])
    staff_mail = next(m for m in mail.outbox if m.to == [service.email])
    assert "Veuillez trouver" not in staff_mail.body  # may hold health data: never in e-mails
    assert "/personnel/messagerie/" in staff_mail.body
    copy = next(m for m in mail.outbox if m.to == [user.guardian.email])
    assert "bien été envoyé" in copy.body and "Veuillez trouver" not in copy.body


def test_four_attachments_in_one_message_as_seed_003_asks(parent_client, parent, service):
    """Proof of address, the rules sheet and two more documents (seed 003)."""
    page = parent_client.get(reverse("messaging:compose")).content.decode()
    assert "jusqu&#x27;à 4 fichiers" in page or "jusqu'à 4 fichiers" in page
    assert page.index('name="body"') < page.index('name="attachment_4"') < page.index('name="copy_to_sender"')
    names = ["domicile.pdf", "reglement.pdf", "jugement.pdf", "attestation.png"]
    files = {f"attachment_{i}": upload(name) if name.endswith(".pdf") else upload(name, png_bytes(), "image/png")
             for i, name in enumerate(names, start=1)}
    response = _compose(parent_client, service, **files)
    assert response.status_code == 302
    message = Message.objects.get(thread__family=parent[1])
    assert sorted(message.attachments.values_list("original_name", flat=True)) == sorted(names)


def test_a_fifth_file_is_refused_by_the_service(parent, service):
    user, family = parent
    with pytest.raises(MessagingError, match="au plus 4 fichiers"):
        services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                        theme="information", subject="Trop", body="Cinq fichiers",
                                        files=[upload(f"{i}.pdf") for i in range(5)])
    assert not Thread.objects.exists()


def test_compose_errors_are_french_and_keep_the_text(parent_client, service):
    exe = b"MZ\x90\x00" + b"\x00" * 100
    response = _compose(parent_client, service, attachment_1=upload("facture.pdf", exe), theme="")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choisissez un thème." in body
    assert "seuls les fichiers PDF, JPEG et PNG sont acceptés" in body
    assert "Veuillez trouver ci-joint le justificatif." in body  # nothing lost
    assert "Justificatif de domicile" in body
    assert not Thread.objects.exists()


def test_compose_refuses_7mb_and_fake_pdf(parent_client, service):
    big = pdf_bytes() + b"%" + b"0" * (7 * 1024 * 1024)
    response = _compose(parent_client, service, attachment_1=upload("gros.pdf", big),
                        attachment_2=upload("faux.pdf", b"%PDF-1.7\nrien\n%%EOF"))
    body = response.content.decode()
    assert "la taille maximale est de 6 Mo" in body
    assert "n&#x27;est pas un vrai fichier PDF" in body or "n'est pas un vrai fichier PDF" in body
    assert not Thread.objects.exists() and not Attachment.objects.exists()


def test_staff_reply_reaches_family_with_link_and_unread_badge(
    parent_client, parent, staff_user, service, django_capture_on_commit_callbacks
):
    user, family = parent
    thread = services.thread_start_by_family(
        family=family, guardian=user.guardian, user=user, service=service, theme="change", subject="Allergie",
        body="Mon fils est allergique aux arachides.",
    )
    mail.outbox.clear()
    staff = Client()
    staff.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("messaging_staff:thread", args=[thread.pk]),
                              {"action": "reply", "reply-body": "Bien noté, le PAI est à renouveler."})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.status == Thread.Status.ANSWERED and thread.assigned_to == staff_user
    assert thread.messages.get(from_staff=False).read_at is not None
    assert [m.to for m in mail.outbox] == [[user.guardian.email]]
    assert "/messagerie/%d/" % thread.pk in mail.outbox[0].body
    assert "PAI est à renouveler" not in mail.outbox[0].body  # setting off by default
    assert AuditLog.objects.filter(family=family, action="message_reply", actor=staff_user).exists()
    # The family sees the badge, then reads the thread.
    home = parent_client.get(reverse("messaging:inbox")).content.decode()
    assert "Vous avez <strong>1 message non lu</strong>" in home
    page = parent_client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert "Bien noté, le PAI est à renouveler." in page
    assert "1 message non lu" not in parent_client.get(reverse("messaging:inbox")).content.decode()


def test_message_body_in_email_only_when_the_setting_allows(parent, staff_user, service,
                                                            django_capture_on_commit_callbacks):
    org = Organisation.current()
    org.email_includes_message_body = True
    org.save()
    user, family = parent
    with django_capture_on_commit_callbacks(execute=True):
        services.thread_start_by_staff(family=family, staff_user=staff_user, service=service, theme="information",
                                       subject="Sortie", body="La sortie au zoo a lieu mercredi.")
    assert "La sortie au zoo a lieu mercredi." in mail.outbox[0].body


def test_family_reply_reopens_thread_and_notifies(parent_client, parent, staff_user, service,
                                                   django_capture_on_commit_callbacks):
    user, family = parent
    thread = services.thread_start_by_staff(family=family, staff_user=staff_user, service=service,
                                            theme="information", subject="Menus", body="Les menus changent.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(reverse("messaging:thread", args=[thread.pk]),
                                      {"body": "Merci !", "attachment_1": upload("photo.png", png_bytes(), "image/png")})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.status == Thread.Status.IN_PROGRESS
    assert thread.messages.count() == 2
    assert mail.outbox[0].to == [staff_user.email]


def test_boxes_and_deletion_per_side(parent_client, parent, staff_user, service):
    user, family = parent
    sent = services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                           theme="information", subject="Question envoyée", body="?")
    received = services.thread_start_by_staff(family=family, staff_user=staff_user, service=service,
                                              theme="information", subject="Info reçue", body="!")
    inbox = parent_client.get(reverse("messaging:inbox")).content.decode()
    assert "Info reçue" in inbox and "Question envoyée" not in inbox
    sent_box = parent_client.get(reverse("messaging:inbox") + "?boite=sent").content.decode()
    assert "Question envoyée" in sent_box and "Info reçue" not in sent_box
    parent_client.post(reverse("messaging:thread_delete", args=[received.pk]))
    assert "Info reçue" not in parent_client.get(reverse("messaging:inbox")).content.decode()
    assert "Info reçue" in parent_client.get(reverse("messaging:inbox") + "?boite=deleted").content.decode()
    # Staff still see it.
    received.refresh_from_db()
    assert received.staff_deleted_at is None
    assert received in selectors.staff_threads()
    parent_client.post(reverse("messaging:thread_delete", args=[received.pk]), {"restore": "1"})
    assert "Info reçue" in parent_client.get(reverse("messaging:inbox")).content.decode()
    assert sent.pk


def test_other_family_and_anonymous_get_404(client, parent, other_family, service):
    user, family = parent
    thread = services.thread_start_by_family(
        family=family, guardian=user.guardian, user=user, service=service, theme="information", subject="Privé",
        body="Données privées", files=[upload("secret.pdf")],
    )
    attachment = Attachment.objects.get()
    assert client.get(reverse("messaging:attachment", args=[attachment.pk])).status_code == 404
    client.force_login(other_family[0])
    assert client.get(reverse("messaging:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 404
    response = client.post(reverse("messaging:thread", args=[thread.pk]), {"body": "intrusion"})
    assert response.status_code == 404
    assert client.post(reverse("messaging:thread_delete", args=[thread.pk])).status_code == 404
    thread.refresh_from_db()
    assert thread.family_deleted_at is None and Message.objects.count() == 1


def test_attachment_served_to_owner_and_staff_never_from_media_url(client, parent, staff_user, service):
    user, family = parent
    services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                    theme="information", subject="Pièce", body="ci-joint", files=[upload("a.pdf")])
    attachment = Attachment.objects.get()
    assert "a.pdf" not in attachment.file.name  # random storage name
    client.force_login(user)
    response = client.get(reverse("messaging:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    client.force_login(staff_user)
    # Staff open attachments from the service's side; the parents' URL is the family's only.
    response = client.get(reverse("messaging_staff:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(reverse("messaging:attachment", args=[attachment.pk])).status_code == 404
    assert client.get("/_no_public_media/" + attachment.file.name).status_code == 404


def test_staff_inbox_filters_and_assignment(client, parent, staff_user, service):
    user, family = parent
    other_service, _ = Service.objects.get_or_create(name="Règlement – Facture")
    t1 = services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                         theme="information", subject="Sujet scolarité", body="a")
    services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=other_service,
                                    theme="complaint", subject="Sujet facture", body="b")
    colleague = StaffFactory()
    client.force_login(staff_user)
    page = client.get(reverse("messaging_staff:inbox"), {"service": service.pk}).content.decode()
    assert "Sujet scolarité" in page and "Sujet facture" not in page
    client.post(reverse("messaging_staff:thread", args=[t1.pk]),
                {"action": "assign", "assign-assignee": colleague.pk, "assign-status": "in_progress"})
    t1.refresh_from_db()
    assert t1.assigned_to == colleague and t1.status == Thread.Status.IN_PROGRESS
    page = client.get(reverse("messaging_staff:inbox"), {"status": "in_progress"}).content.decode()
    assert "Sujet scolarité" in page and "Sujet facture" not in page
    assert AuditLog.objects.filter(action="message_assign", actor=staff_user).exists()


def test_staff_pages_refuse_parents(parent_client, parent, service):
    user, family = parent
    thread = services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                             theme="information", subject="Pièce", body="ci-joint",
                                             files=[upload("a.pdf")])
    for url in (reverse("messaging_staff:inbox"), reverse("messaging_staff:compose"),
                reverse("messaging_staff:thread", args=[thread.pk]),
                reverse("messaging_staff:attachment", args=[Attachment.objects.get().pk])):
        response = parent_client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url, url  # even for their own thread


def test_staff_reading_a_parent_page_gets_404(client, parent, staff_user, service):
    """A parent page never branches on staff: staff (no family) get what a non-parent gets."""
    user, family = parent
    thread = services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                             theme="information", subject="Privé", body="x")
    client.force_login(staff_user)
    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 404
    assert client.get(reverse("messaging:inbox")).status_code == 404


def test_inbox_query_count_is_bounded(client, staff_user, service, django_assert_max_num_queries):
    user, family = parent_with_family(children=1)
    Organisation.current()  # the organisation row exists, as on any portal past its first request
    client.force_login(user)
    client.get(reverse("messaging:inbox"))  # consents check stored in the session

    def measure():
        with django_assert_max_num_queries(9) as ctx:
            assert client.get(reverse("messaging:inbox")).status_code == 200
        return len(ctx.captured_queries)

    few = measure()
    for i in range(15):
        services.thread_start_by_staff(family=family, staff_user=staff_user, service=service, theme="information",
                                       subject=f"Info {i}", body="x")
    assert measure() == few
