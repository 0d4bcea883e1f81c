"""The merchant: the account and its business details (`accounts`), secret API keys (`keys`),
and the brand shown on the portal, invoices and emails (`branding`)."""
