"""Staff accounts, roles, login and logout, and staff administration."""
