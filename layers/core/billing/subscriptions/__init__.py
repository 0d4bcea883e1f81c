"""Subscriptions: the record (`records`) and where it is kept (`store`), their lifecycle and plan
changes (`subscriptions`, `changes`), the upcoming invoice (`preview`), the proration of a change
inside a period (`proration`), renewals at period end (`renewals`) and test clocks
(`testclocks`)."""
