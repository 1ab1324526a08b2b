"""The migrations ship inside the package; the checkout's `alembic.ini` runs the very same ones."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from facerec.db.migrate import migrations_dir

CHECKOUT = Path(__file__).resolve().parents[2]


def test_the_package_finds_its_migrations() -> None:
    scripts = ScriptDirectory(str(migrations_dir()))
    assert (migrations_dir() / "env.py").is_file()
    assert scripts.get_current_head() is not None


def test_the_checkout_alembic_ini_names_the_same_folder() -> None:
    from_ini = ScriptDirectory.from_config(Config(str(CHECKOUT / "alembic.ini")))
    assert Path(from_ini.dir).resolve() == migrations_dir().resolve()


def test_alembic_upgrade_head_from_the_checkout(database_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=CHECKOUT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    current = subprocess.run(
        [sys.executable, "-m", "alembic", "current"],
        cwd=CHECKOUT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    assert f"{head} (head)" in current.stdout
