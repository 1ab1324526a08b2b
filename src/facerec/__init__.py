"""facerec: a self-hosted face recognition API."""

from importlib.metadata import version

__version__ = version("facerec")
