"""The hosted customer portal: server-rendered pages over the `billing` services."""
