"""The tests run the real application in-process, as the CLI does."""

from facerec.api.local import running_client

__all__ = ["running_client"]
