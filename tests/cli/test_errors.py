"""Mistakes get one line on stderr that names the setting and the fix: status 2 for configuration, 1 at run
time, and a traceback only with --debug."""

import fcntl
import os
import socket
from pathlib import Path

from tests.cli.run import facerec, free_port


def test_a_short_api_key_is_one_line_and_status_2(tmp_path: Path) -> None:
    done = facerec("serve", cwd=tmp_path, API_KEYS="short", DATA_DIR=str(tmp_path))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("facerec: invalid setting API_KEYS: every API key must be at least 16")
    assert "environment or .env" in line
    assert "short" not in line.removeprefix("facerec: ")  # the secret is never echoed


def test_several_wrong_settings_are_named_in_one_line(tmp_path: Path) -> None:
    done = facerec("doctor", cwd=tmp_path, DATABASE_URL="mysql://db", LOG_LEVEL="loud", MODEL_PACK="nope")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    for setting in ("DATABASE_URL", "LOG_LEVEL", "MODEL_PACK"):
        assert f"{setting}: " in line


def test_migrate_without_a_database_url_names_the_setting(tmp_path: Path) -> None:
    done = facerec("migrate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "facerec: facerec migrate needs DATABASE_URL (the embedded database migrates itself at startup)"
    ]


def test_an_unreachable_database_is_one_line_and_status_1(tmp_path: Path) -> None:
    done = facerec("migrate", cwd=tmp_path, DATABASE_URL=f"postgresql://u:p@127.0.0.1:{free_port()}/db")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("facerec: cannot migrate the database at DATABASE_URL (")
    assert "Traceback" not in done.stderr


def test_debug_adds_the_traceback(tmp_path: Path) -> None:
    done = facerec("--debug", "migrate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert done.stderr.splitlines()[-1].startswith("facerec: facerec migrate needs DATABASE_URL")


def test_a_port_in_use_is_found_before_anything_loads(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = facerec("serve", "--port", str(port), cwd=tmp_path, DATA_DIR=str(tmp_path))
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"facerec: cannot listen on 127.0.0.1:{port} (")
    assert "--port" in line
    assert not (tmp_path / "pgdata").exists()


def test_a_startup_failure_is_one_error_line_not_a_traceback(tmp_path: Path) -> None:
    """The lifespan's own failure (here: another service holds the data directory)."""
    descriptor = os.open(tmp_path / "facerec.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = facerec("serve", "--port", str(free_port()), cwd=tmp_path, DATA_DIR=str(tmp_path))
    finally:
        os.close(descriptor)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        f"facerec: another facerec service is using the data directory {tmp_path}"
    )
