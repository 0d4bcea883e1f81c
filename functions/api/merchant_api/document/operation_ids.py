"""Short operation IDs, `<resource>_<action>` as the SDK names its calls (`customers_create`,
`customers_tax_ids_delete`, `invoices_pay`), made from each operation's method and path so that
they stay the same while the routes do (Powertools' own are the handler's name, path and method).

The resource is the path's literal segments (`/v1/customers/{customer}/tax_ids` → `customers_tax_ids`).
On a path ending with a parameter, GET, POST and DELETE are `retrieve`, `update`, `delete`. A path
ending with a literal is a collection when its objects have a path of their own (`…/{id}`) or it
lists them (a `…List` answer): GET `list`, POST `create`; else, after an object's parameter, the
last segment is the action itself (`/v1/invoices/{invoice}/pay` → `invoices_pay`, `…/pdf` →
`invoices_pdf`); else it is a single object (`/v1/account`: `retrieve`, `update`, `delete`) when
it has a GET, or an action (`/v1/branding/portal_domain/verify`). `NAMED` holds the few the rule names otherwise.
"""

from __future__ import annotations

import re
from typing import Any

_PARAMETER = re.compile(r"^\{[^}]+\}$")
_ITEM_ACTIONS = {"get": "retrieve", "post": "update", "delete": "delete"}
_COLLECTION_ACTIONS = {"get": "list", "post": "create"}
# Operations named as the SDK calls them (the rule's name would be the second): by method and
# path with its parameters unnamed.
NAMED = {
    ("post", "/v1/payment_gateway"): "payment_gateway_connect",  # payment_gateway_update
    ("delete", "/v1/payment_gateway"): "payment_gateway_disconnect",  # payment_gateway_delete
    ("delete", "/v1/subscriptions/{}"): "subscriptions_cancel",  # subscriptions_delete
    ("get", "/v1/invoices/upcoming"): "invoices_upcoming",  # invoices_upcoming_retrieve
    ("post", "/v1/invoices/{}/hosted_link"): "invoices_replace_hosted_link",  # invoices_hosted_link
    ("post", "/v1/customers/{}/payment_methods/{}/default"): "customers_payment_methods_set_default",
}


def shape(path: str) -> str:
    """`/v1/customers/{customer_id}` → `/v1/customers/{}`."""
    return "/".join("{}" if _PARAMETER.match(segment) else segment for segment in path.split("/"))


def operation_id(method: str, path: str, document: dict[str, Any]) -> str:
    named = NAMED.get((method, shape(path)))
    if named:
        return named
    segments = [segment for segment in path.split("/")[2:] if segment]  # after `/v1`
    literals = [segment for segment in segments if not _PARAMETER.match(segment)]
    resource = "_".join(literals)
    if _PARAMETER.match(segments[-1]):
        return f"{resource}_{_ITEM_ACTIONS.get(method, method)}"
    item = document["paths"].get(path, {})
    if method in _COLLECTION_ACTIONS and _is_collection(path, item, document):
        return f"{resource}_{_COLLECTION_ACTIONS[method]}"
    after_object = len(segments) > 1 and bool(_PARAMETER.match(segments[-2]))
    if "get" in item and method in _ITEM_ACTIONS and not after_object:
        return f"{resource}_{_ITEM_ACTIONS[method]}"
    return resource


def _is_collection(path: str, item: dict[str, Any], document: dict[str, Any]) -> bool:
    below = re.compile(re.escape(shape(path)) + r"/\{\}$")
    if any(below.match(shape(other)) for other in document["paths"]):
        return True
    answer = item.get("get", {}).get("responses", {}).get("200", {})
    ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    return str(ref).endswith("List")


def with_operation_ids(document: dict[str, Any]) -> dict[str, Any]:
    """Each operation's `operationId`; two operations named alike fail here, not in a client."""
    seen: dict[str, str] = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            name = operation_id(method, path, document)
            if name in seen:
                raise RuntimeError(f"operation ID {name} of {method.upper()} {path} is that of {seen[name]}")
            seen[name] = f"{method.upper()} {path}"
            operation["operationId"] = name
    return document
