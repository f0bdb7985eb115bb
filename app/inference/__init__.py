"""Loaded encoders and the thread pool that runs them off the event loop."""
