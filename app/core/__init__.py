"""Service-wide foundations: settings."""
