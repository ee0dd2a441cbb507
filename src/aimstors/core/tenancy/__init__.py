"""Tenancy services: the tenant tree, users and memberships, API keys, the audit log, who an actor is."""
