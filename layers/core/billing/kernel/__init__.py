"""What every area uses and that knows no business: the clock, configuration, errors, IDs,
money and rounding, countries, formatting, and the scope (one account in one mode)."""
