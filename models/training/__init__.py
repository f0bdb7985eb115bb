"""Training twin networks from a config file: config, loop, resumable state."""
