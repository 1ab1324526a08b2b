import os
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort
import pytest

from facerec.models.sessions import CPU, CUDA, providers_for

NO_CUDA = CUDA not in ort.get_available_providers()


def test_the_cpu_is_used_unless_cuda_is_there() -> None:
    assert providers_for("cpu") == [CPU]
    assert providers_for("auto") == ([CPU] if NO_CUDA else [CUDA, CPU])


@pytest.mark.skipif(not NO_CUDA, reason="this ONNX Runtime has the CUDA provider")
def test_serve_refuses_device_cuda_without_the_cuda_provider(tmp_path: Path) -> None:
    """A clear error and exit status 1 at once: no model loaded, no database started, no traceback."""
    env = {**os.environ, "DEVICE": "cuda", "DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "facerec", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "\nfacerec: DEVICE=cuda was asked for, but this ONNX Runtime has no CUDA" in f"\n{done.stderr}"
    assert "facerec[gpu]" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "pgdata").exists()
