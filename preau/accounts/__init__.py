"""Accounts: users, logins, activation, passwords, blocking, API tokens."""
