"""Invoices: building, finalizing, paying and voiding them (`invoices`), their totals
(`invoicemath`, `tax`) and their PDF (`pdf`, imported only by the PDF function and the portal's
invoice page)."""
