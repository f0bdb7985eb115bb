"""Verification metrics, threshold calibration, curves and pairs-file evaluation."""
