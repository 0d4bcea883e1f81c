"""The API's resources, one class each; a `Vinr` client holds one instance of each."""

from vinr.resources._base import VinrObject
from vinr.resources.account import Account, Branding
from vinr.resources.billing import Billing, PortalConfigurations, PortalSessions
from vinr.resources.catalog import Coupons, Prices, Products, TaxRates
from vinr.resources.customers import CustomerPaymentMethods, Customers, CustomerTaxIds
from vinr.resources.events import AuditLog, Events
from vinr.resources.invoices import Invoices
from vinr.resources.payment_gateway import PaymentGateway
from vinr.resources.subscriptions import Subscriptions, TestClocks
from vinr.resources.webhook_endpoints import WebhookEndpoints

__all__ = [
    "Account",
    "AuditLog",
    "Billing",
    "Branding",
    "Coupons",
    "CustomerPaymentMethods",
    "CustomerTaxIds",
    "Customers",
    "Events",
    "Invoices",
    "PaymentGateway",
    "PortalConfigurations",
    "PortalSessions",
    "Prices",
    "Products",
    "Subscriptions",
    "TaxRates",
    "TestClocks",
    "VinrObject",
    "WebhookEndpoints",
]
