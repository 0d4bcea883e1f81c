"""How customers pay: saved payment methods (`paymentmethods`), the validation of card numbers
and IBANs (`instruments`) and the documented test tokens and numbers (`testtokens`)."""
