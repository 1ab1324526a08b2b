"""facerec: a self-hosted face recognition API."""
