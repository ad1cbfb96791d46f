# One online payment for several invoices: the invoices of a transaction move to OnlineTransactionInvoice.

import django.db.models.deletion
from django.db import migrations, models


def items_from_invoice(apps, schema_editor):
    """Each existing transaction covered one invoice, for its whole amount."""
    OnlineTransaction = apps.get_model("billing", "OnlineTransaction")
    OnlineTransactionInvoice = apps.get_model("billing", "OnlineTransactionInvoice")
    rows = OnlineTransaction.objects.values_list("pk", "invoice_id", "amount", "state").iterator(chunk_size=2000)
    batch = []
    for pk, invoice_id, amount, state in rows:
        batch.append(OnlineTransactionInvoice(
            transaction_id=pk, invoice_id=invoice_id, amount=amount, active=state in ("started", "pending")
        ))
        if len(batch) >= 2000:
            OnlineTransactionInvoice.objects.bulk_create(batch)
            batch = []
    OnlineTransactionInvoice.objects.bulk_create(batch)


def invoice_from_items(apps, schema_editor):
    OnlineTransaction = apps.get_model("billing", "OnlineTransaction")
    OnlineTransactionInvoice = apps.get_model("billing", "OnlineTransactionInvoice")
    for item in OnlineTransactionInvoice.objects.order_by("transaction_id", "pk").iterator():
        OnlineTransaction.objects.filter(pk=item.transaction_id, invoice__isnull=True).update(invoice_id=item.invoice_id)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_invoice_reminders_credit_note_lines_french_labels'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='onlinetransaction',
            name='billing_one_active_online_payment',
        ),
        migrations.AlterField(
            model_name='onlinetransaction',
            name='invoice',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='online_transactions', to='billing.invoice', verbose_name='facture'),
        ),
        migrations.CreateModel(
            name='OnlineTransactionInvoice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=10, verbose_name='montant')),
                ('active', models.BooleanField(default=True, verbose_name='en cours')),
                ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='online_items', to='billing.invoice', verbose_name='facture')),
                ('transaction', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='billing.onlinetransaction', verbose_name='paiement en ligne')),
            ],
            options={
                'verbose_name': "facture d'un paiement en ligne",
                'verbose_name_plural': "factures d'un paiement en ligne",
                'ordering': ['pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='onlinetransactioninvoice',
            constraint=models.UniqueConstraint(fields=('transaction', 'invoice'), name='billing_online_item_unique'),
        ),
        migrations.AddConstraint(
            model_name='onlinetransactioninvoice',
            constraint=models.UniqueConstraint(condition=models.Q(('active', True)), fields=('invoice',), name='billing_one_active_online_payment'),
        ),
        migrations.AddConstraint(
            model_name='onlinetransactioninvoice',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='billing_online_item_positive'),
        ),
        migrations.RunPython(items_from_invoice, invoice_from_items),
        migrations.RemoveField(
            model_name='onlinetransaction',
            name='invoice',
        ),
        migrations.AddField(
            model_name='onlinetransaction',
            name='invoices',
            field=models.ManyToManyField(related_name='+', through='billing.OnlineTransactionInvoice', to='billing.invoice', verbose_name='factures'),
        ),
    ]
