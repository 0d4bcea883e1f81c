"""Invoices: the record and its figures (`records`), where they are kept (`store`), building,
finalizing, paying and voiding them (`invoices`), line discounts and tax (`invoicemath`, `tax`),
and their PDF (`pdf`, imported only by the PDF function and the portal's invoice page)."""
