"""The documents app takes over the models families created (families.0002) and let go of (families.0004).

State only: the tables stay where they are (``Meta.db_table``). The content types follow the models, so the
staff permissions and the admin's history of these objects stay attached to them."""

import django.db.models.deletion
import django.utils.timezone
import documents.models
from django.conf import settings
from django.db import migrations, models

MOVED = ("documenttype", "familydocument", "consentversion", "consentacceptance", "renewalcampaign",
         "renewalsubmission")


def _relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = ContentType.objects
    taken = set(db.filter(app_label=new, model__in=MOVED).values_list("model", flat=True))
    # A row already under the new label (created by a post_migrate run in between) is left as it is.
    db.filter(app_label=old, model__in=set(MOVED) - taken).update(app_label=new)


def content_types_forward(apps, schema_editor):
    _relabel(apps, "families", "documents")


def content_types_backward(apps, schema_editor):
    _relabel(apps, "documents", "families")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('families', '0004_documents_move_to_documents_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DocumentType',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=150, unique=True, verbose_name='nom')),
                        ('description', models.CharField(blank=True, max_length=300, verbose_name='précisions')),
                        ('is_required', models.BooleanField(default=True, verbose_name='obligatoire')),
                        ('validity_months', models.PositiveSmallIntegerField(blank=True, help_text="Vide : le document n'expire pas.", null=True, verbose_name='validité (mois)')),
                        ('order', models.PositiveSmallIntegerField(default=0, verbose_name='ordre')),
                        ('is_active', models.BooleanField(default=True, verbose_name='demandé')),
                    ],
                    options={
                        'verbose_name': 'type de document',
                        'verbose_name_plural': 'types de documents demandés',
                        'db_table': 'families_documenttype',
                        'ordering': ['order', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='RenewalCampaign',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('school_year', models.CharField(help_text='Par exemple 2026/2027.', max_length=9, unique=True, verbose_name='année scolaire')),
                        ('opens_on', models.DateField(verbose_name='ouverte le')),
                        ('deadline', models.DateField(verbose_name='date limite')),
                        ('instructions', models.TextField(blank=True, verbose_name='consignes')),
                        ('reminder_every_days', models.PositiveSmallIntegerField(default=7, verbose_name='relance tous les (jours)')),
                        ('is_open', models.BooleanField(default=True, verbose_name='ouverte')),
                    ],
                    options={
                        'verbose_name': "campagne d'actualisation",
                        'verbose_name_plural': "campagnes d'actualisation",
                        'db_table': 'families_renewalcampaign',
                        'ordering': ['-opens_on'],
                    },
                ),
                migrations.CreateModel(
                    name='ConsentVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('rules', 'Règlement intérieur'), ('image', "Droit à l'image"), ('health', 'Traitement des données de santé')], max_length=10, verbose_name='texte')),
                        ('version', models.PositiveSmallIntegerField(verbose_name='version')),
                        ('title', models.CharField(max_length=200, verbose_name='titre')),
                        ('text', models.TextField(verbose_name="texte soumis à l'accord")),
                        ('published_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='publiée le')),
                        ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='publiée par')),
                    ],
                    options={
                        'verbose_name': "version d'un consentement",
                        'verbose_name_plural': 'consentements (versions)',
                        'db_table': 'families_consentversion',
                        'ordering': ['kind', '-version'],
                    },
                ),
                migrations.CreateModel(
                    name='ConsentAcceptance',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('accepted', models.BooleanField(default=True, verbose_name='accepté')),
                        ('answered_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='répondu le')),
                        ('family', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='families.family', verbose_name='famille')),
                        ('guardian', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='families.guardian', verbose_name='responsable')),
                        ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='documents.consentversion', verbose_name='version')),
                    ],
                    options={
                        'verbose_name': 'réponse à un consentement',
                        'verbose_name_plural': 'réponses aux consentements',
                        'db_table': 'families_consentacceptance',
                        'ordering': ['-answered_at'],
                    },
                ),
                migrations.CreateModel(
                    name='FamilyDocument',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file', models.FileField(upload_to=documents.models.family_document_path, verbose_name='fichier')),
                        ('original_name', models.CharField(max_length=200, verbose_name='nom du fichier')),
                        ('content_type', models.CharField(max_length=50, verbose_name='type')),
                        ('size', models.PositiveIntegerField(verbose_name='taille (octets)')),
                        ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='déposé le')),
                        ('status', models.CharField(choices=[('received', 'Reçu, en cours de vérification'), ('accepted', 'Accepté'), ('refused', 'Refusé')], db_index=True, default='received', max_length=10, verbose_name='état')),
                        ('refusal_reason', models.CharField(blank=True, max_length=300, verbose_name='motif du refus')),
                        ('valid_until', models.DateField(blank=True, null=True, verbose_name="valable jusqu'au")),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='vérifié le')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='vérifié par')),
                        ('document_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='documents.documenttype', verbose_name='type de document')),
                        ('family', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='families.family', verbose_name='famille')),
                        ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='déposé par')),
                    ],
                    options={
                        'verbose_name': 'document de la famille',
                        'verbose_name_plural': 'documents des familles',
                        'db_table': 'families_familydocument',
                        'ordering': ['-uploaded_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='RenewalSubmission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('draft', 'À compléter'), ('submitted', 'Envoyée, en attente de validation'), ('returned', 'À corriger'), ('validated', 'Validée')], db_index=True, default='draft', max_length=10, verbose_name='état')),
                        ('confirmed_sections', models.JSONField(blank=True, default=list, verbose_name='rubriques vérifiées')),
                        ('declared_quotient', models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True, verbose_name='quotient déclaré')),
                        ('quotient_benefit_number', models.CharField(blank=True, max_length=30, verbose_name='n° allocataire déclaré')),
                        ('quotient_proof', models.FileField(blank=True, upload_to=documents.models.family_document_path, verbose_name='attestation de quotient')),
                        ('quotient_proof_name', models.CharField(blank=True, max_length=200)),
                        ('quotient_proof_type', models.CharField(blank=True, max_length=50)),
                        ('family_comment', models.TextField(blank=True, verbose_name='précisions de la famille')),
                        ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='envoyée le')),
                        ('staff_comment', models.TextField(blank=True, verbose_name='commentaire du service')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='traitée le')),
                        ('last_reminder_at', models.DateTimeField(blank=True, null=True, verbose_name='dernière relance')),
                        ('reminders_sent', models.PositiveSmallIntegerField(default=0, verbose_name='relances envoyées')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='submissions', to='documents.renewalcampaign', verbose_name='campagne')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='traitée par')),
                        ('family', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='renewals', to='families.family', verbose_name='famille')),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='envoyée par')),
                    ],
                    options={
                        'verbose_name': "actualisation d'une famille",
                        'verbose_name_plural': 'actualisations des familles',
                        'db_table': 'families_renewalsubmission',
                        'ordering': ['campaign', 'family'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='consentversion',
                    constraint=models.UniqueConstraint(fields=('kind', 'version'), name='consent_unique_version'),
                ),
                migrations.AddConstraint(
                    model_name='consentacceptance',
                    constraint=models.UniqueConstraint(fields=('version', 'guardian'), name='consent_one_answer_per_guardian'),
                ),
                migrations.AddIndex(
                    model_name='familydocument',
                    index=models.Index(fields=['family', 'document_type', '-uploaded_at'], name='families_fa_family__e2501c_idx'),
                ),
                migrations.AddConstraint(
                    model_name='renewalsubmission',
                    constraint=models.UniqueConstraint(fields=('campaign', 'family'), name='renewal_one_per_family'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
