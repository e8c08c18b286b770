"""pumpurs: reporting and grant-compliance toolkit for the ESF project PuMPuRS."""

__version__ = "0.1.0"
