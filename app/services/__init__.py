"""Service layer: plain arguments in, domain objects or domain errors out; no HTTP."""
