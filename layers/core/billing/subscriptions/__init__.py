"""Subscriptions: their lifecycle and plan changes (`subscriptions`), the proration of a change
inside a period (`proration`), renewals at period end (`renewals`) and test clocks
(`testclocks`)."""
