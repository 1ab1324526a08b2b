"""Database URL spellings: asyncpg takes `postgresql://`, SQLAlchemy (for Alembic) wants a driver name."""

import re

_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def sqlalchemy_url(url: str) -> str:
    return _SCHEME.sub("postgresql+asyncpg://", url, count=1)


def asyncpg_url(url: str) -> str:
    return _SCHEME.sub("postgresql://", url, count=1)
