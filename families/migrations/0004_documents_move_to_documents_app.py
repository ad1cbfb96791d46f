"""Documents, consents and renewal moved to the documents app (documents.0001_initial takes them over).

State only: the tables stay, under their names (the documents models set ``Meta.db_table``)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('families', '0003_change_request_child'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # Those that point at the others first.
                migrations.DeleteModel(name='RenewalSubmission'),
                migrations.DeleteModel(name='ConsentAcceptance'),
                migrations.DeleteModel(name='FamilyDocument'),
                migrations.DeleteModel(name='RenewalCampaign'),
                migrations.DeleteModel(name='ConsentVersion'),
                migrations.DeleteModel(name='DocumentType'),
            ],
            database_operations=[],
        ),
    ]
