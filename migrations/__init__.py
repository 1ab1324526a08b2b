"""The Alembic environment and revisions, installed as `facerec.migrations` (see setup.py)."""
