"""Online signatures: pen trajectories captured on a pad or a screen."""
