"""The merchant's customers: their details and billing address (`customers`) and their tax IDs
(`taxids`)."""
