"""People: accounts, roles, sign-in, API tokens and the rules of access."""
