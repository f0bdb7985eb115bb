"""Exact 1:N search over in-memory matrices that mirror the reference table."""
