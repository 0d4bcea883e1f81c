"""The OpenAPI document's parts Powertools does not make: the error envelope with every type and
code the API answers (`errors`), short stable operation IDs (`operation_ids`) and the webhooks
(`webhooks`). Imported only to build `GET /v1/openapi.json` (`routes/meta.py`)."""
