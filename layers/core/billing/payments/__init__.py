"""How customers pay: saved payment methods (`paymentmethods`; the record in `records`, kept by
`store`), the validation of card numbers and IBANs (`instruments`) and the documented test
tokens and numbers (`testtokens`)."""
