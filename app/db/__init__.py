"""Persistence: the SQL schema (owned by Alembic migrations) and sessions."""
