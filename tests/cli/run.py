"""Running the `facerec` command as a user does: a separate process, outside the checkout."""

import os
import socket
import subprocess
import sys
from pathlib import Path

FACEREC_VARIABLES = ("DATABASE_URL", "API_KEYS", "JWT_SECRET_KEY", "MODEL_PACK", "LOG_FORMAT", "LOG_LEVEL")


def environment(**env: str) -> dict[str, str]:
    """This process's environment without facerec's settings, plus `env`."""
    base = {name: value for name, value in os.environ.items() if name not in FACEREC_VARIABLES}
    return {**base, **env}


def facerec(*args: str, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facerec", *args],
        cwd=cwd,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
    return port
