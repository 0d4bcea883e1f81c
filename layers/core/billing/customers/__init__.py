"""The merchant's customers: their details and billing address (`customers`) and their tax IDs
(`taxids`); the records (`records`: the customer, its tax IDs, the test clock it lives on) and
where they are kept (`store`)."""
