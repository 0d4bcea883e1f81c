"""The merchant API's routes, auth and error mapping (the handler side of `billing`)."""
