"""Billing services, split by sub-domain: ``invoicing``, ``payments``, ``direct_debit``."""
