"""CrisisGov: a public crisis management platform for city and county governments."""

__version__ = "0.1.0"
