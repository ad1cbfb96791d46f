from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    path("paiements/", views.payments, name="payments"),
    path("releve/", views.statement, name="statement"),
    path("detail/", views.enrolment_detail, name="enrolment_detail"),
    path("attestations/", views.certificates, name="certificates"),
    path("attestations/<int:year>.pdf", views.certificate_download, name="certificate_pdf"),
    path("prelevement/", views.direct_debit, name="direct_debit"),
    path("factures/<int:pk>.pdf", views.invoice_download, name="invoice_pdf"),
    path("factures/payer/", views.pay_several, name="pay_several"),
    path("factures/payer/total/", views.pay_total, name="pay_total"),
    path("factures/<int:pk>/payer/", views.pay, name="pay"),
    path("paiement/actualiser/", views.payments_refresh, name="payments_refresh"),
    path("paiement/retour/<str:reference>/", views.payment_return, name="payment_return"),
    path("paiement/notification/<str:provider>/", views.payment_notify, name="payment_notify"),
    path("paiement-demonstration/<str:idop>/", views.fake_provider, name="fake_provider"),
]
