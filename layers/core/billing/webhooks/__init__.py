"""Webhooks: endpoints (`webhookendpoints`), the delivery of events to them with retries
(`deliveries`) and their signatures (`webhooksigning`)."""
