"""The outbox: every change's event, written in the change's own transaction (`events`), and the
audit log read from those events (`auditlog`)."""
