"""The tests run the real application in-process, as the CLI does."""

from facerec.api.local import BASE_URL, client_of, running_app, running_client

__all__ = ["BASE_URL", "client_of", "running_app", "running_client"]
