"""twinverify training module: twin (Siamese) encoders, losses, data, evaluation, checkpoints.

Pure PyTorch. Nothing here imports the web service (``app``), FastAPI or SQLAlchemy;
the service imports this package to load and run encoders, never the reverse.
"""

__version__ = "0.1.0"
