"""twinverify service package. The HTTP API lands here; for now it hosts the command line."""
