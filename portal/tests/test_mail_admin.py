"""Admin of the portal's tables: organisation singleton, read-only audit log, outbox with « Renvoyer », job log."""
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from families.tests.factories import FamilyFactory
from portal.models import AuditLog, JobRun, Organisation, OutboundEmail
from portal.tasks import email_send

pytestmark = pytest.mark.django_db


def outbox_row(**kwargs):
    values = {"to": "parent@example.org", "subject": "Objet", "body_text": "Bonjour", "template": "booking_recap"}
    with mock.patch.object(email_send, "apply_async"):
        return OutboundEmail.objects.create(**{**values, **kwargs})


def test_organisation_list_opens_the_single_form(admin_client):
    response = admin_client.get(reverse("admin:portal_organisation_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:portal_organisation_change", args=[1])
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert "Modifications faites par les familles" in page.content.decode()


def test_organisation_cannot_be_added_twice_nor_deleted(admin_client):
    Organisation.current()
    assert admin_client.get(reverse("admin:portal_organisation_add")).status_code == 403
    assert admin_client.get(reverse("admin:portal_organisation_delete", args=[1])).status_code == 403


def test_organisation_is_saved_from_its_form(admin_client):
    org = Organisation.current()
    url = reverse("admin:portal_organisation_change", args=[org.pk])
    data = {
        "name": "Mairie de Testville", "short_name": "Testville", "address": "", "phone": "", "email": "",
        "school_zone": "B", "policy_family": "direct", "policy_guardian": "validate", "policy_child": "validate",
        "invoice_visibility": "family", "siret": "", "policy_quotient": "validate",
    }
    assert admin_client.post(url, data).status_code == 302
    assert Organisation.current().name == "Mairie de Testville"
    assert Organisation.objects.count() == 1


def test_audit_log_is_read_only(admin_client, admin_user):
    family = FamilyFactory()
    entry = AuditLog.objects.create(actor=admin_user, family=family, action="invitation.send", summary="Invitation envoyée")
    listing = admin_client.get(reverse("admin:portal_auditlog_changelist"))
    assert "Invitation envoyée" in listing.content.decode()
    detail = admin_client.get(reverse("admin:portal_auditlog_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert admin_client.get(reverse("admin:portal_auditlog_add")).status_code == 403
    admin_client.post(reverse("admin:portal_auditlog_change", args=[entry.pk]), {"summary": "falsifié"})
    entry.refresh_from_db()
    assert entry.summary == "Invitation envoyée"
    assert admin_client.get(reverse("admin:portal_auditlog_delete", args=[entry.pk])).status_code == 403


def test_audit_log_list_query_count_does_not_grow(admin_client, admin_user, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            AuditLog.objects.create(actor=admin_user, family=FamilyFactory(), action="x", summary=f"Décision {i}")

    add(2)
    Organisation.current()  # the organisation row exists, as on any portal past its first request
    with django_assert_max_num_queries(14):
        admin_client.get(reverse("admin:portal_auditlog_changelist"))
    add(30)
    with django_assert_max_num_queries(14):
        admin_client.get(reverse("admin:portal_auditlog_changelist"))


def test_outbox_filters_by_status_and_template_and_searches_by_recipient(admin_client):
    outbox_row(to="alice@example.org", status="failed", template="invoice_issued", subject="Facture")
    outbox_row(to="bob@example.org", status="sent", template="booking_recap", subject="Réservations")
    url = reverse("admin:portal_outboundemail_changelist")
    failed = admin_client.get(url, {"status__exact": "failed"}).content.decode()
    assert "alice@example.org" in failed and "bob@example.org" not in failed
    assert "Échec" in failed
    recap = admin_client.get(url, {"template": "booking_recap"}).content.decode()
    assert "bob@example.org" in recap and "alice@example.org" not in recap
    search = admin_client.get(url, {"q": "alice"}).content.decode()
    assert "alice@example.org" in search and "bob@example.org" not in search


def test_outbox_list_query_count_does_not_grow(admin_client, django_assert_max_num_queries):
    url = reverse("admin:portal_outboundemail_changelist")
    outbox_row()
    Organisation.current()  # the organisation row exists, as on any portal past its first request
    with django_assert_max_num_queries(14):
        admin_client.get(url)
    for _ in range(40):
        outbox_row()
    with django_assert_max_num_queries(14):
        admin_client.get(url)


def test_renvoyer_requeues_failed_emails_only(admin_client, admin_user, django_capture_on_commit_callbacks):
    failed = outbox_row(status="failed", attempts=6, last_error="SMTPDataError: 554", subject="Facture")
    sent = outbox_row(status="sent", subject="Déjà envoyé")
    url = reverse("admin:portal_outboundemail_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "requeue", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )
    body = response.content.decode()
    assert "1 e-mail(s) remis en file d&#x27;envoi." in body
    assert "1 e-mail(s) ignoré(s) : seuls les e-mails en échec peuvent être renvoyés." in body
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert [m.subject for m in mail.outbox] == ["Facture"]
    assert AuditLog.objects.get().actor == admin_user


def test_outbox_detail_is_read_only_and_hides_password_links(admin_client):
    ordinary = outbox_row(body_text="Les réservations de Léa sont enregistrées.", body_html="<p>Réservations</p>")
    reset = outbox_row(template="password_reset_key", body_text="https://portail/compte/password/reset/key/secret")
    page = admin_client.get(reverse("admin:portal_outboundemail_change", args=[ordinary.pk])).content.decode()
    assert "Les réservations de Léa sont enregistrées." in page
    assert "&lt;p&gt;Réservations&lt;/p&gt;" in page
    assert 'name="_save"' not in page
    secret = admin_client.get(reverse("admin:portal_outboundemail_change", args=[reset.pk])).content.decode()
    assert "reset/key/secret" not in secret
    assert "Contenu masqué : ce message contient un lien personnel de connexion." in secret
    assert admin_client.get(reverse("admin:portal_outboundemail_add")).status_code == 403
    assert admin_client.get(reverse("admin:portal_outboundemail_delete", args=[reset.pk])).status_code == 403


def test_job_log_shows_french_summaries(admin_client):
    now = timezone.now()
    run = JobRun.objects.create(
        name="portal.tasks.housekeeping_daily", label="Entretien quotidien", now=now, started_at=now,
        finished_at=now + timedelta(seconds=2), status="success", summary="invitations expirées : 2\nautre ligne",
    )
    listing = admin_client.get(reverse("admin:portal_jobrun_changelist")).content.decode()
    assert "Entretien quotidien" in listing and "invitations expirées : 2 …" in listing
    assert "Terminée" in listing and "2,0 s" in listing
    detail = admin_client.get(reverse("admin:portal_jobrun_change", args=[run.pk])).content.decode()
    assert "autre ligne" in detail
    assert admin_client.get(reverse("admin:portal_jobrun_add")).status_code == 403
