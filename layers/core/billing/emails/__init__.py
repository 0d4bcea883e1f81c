"""Emails to the merchant's customers: receipts, payment notices, cancellations and sign-in codes,
branded and in the customer's language, sent through Amazon SES from the outbox (like webhooks)."""
