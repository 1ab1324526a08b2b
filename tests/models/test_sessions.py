import os
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort
import pytest

from facerec.models.packs import PACKS
from facerec.models.sessions import CPU, CUDA, SPINNING, open_session, providers_for
from facerec.models.store import bundled_model_dir

NO_CUDA = CUDA not in ort.get_available_providers()


def test_the_cpu_is_used_unless_cuda_is_there() -> None:
    assert providers_for("cpu") == [CPU]
    assert providers_for("auto") == ([CPU] if NO_CUDA else [CUDA, CPU])


def test_idle_inference_threads_sleep_instead_of_spinning() -> None:
    """With two threads a job, a spinning pool would burn the core that a concurrent job needs."""
    session = open_session(
        bundled_model_dir() / PACKS["buffalo_s"].recognizer.name, device="cpu", intra_op_threads=2
    )
    options = session.get_session_options()
    assert options.intra_op_num_threads == 2
    assert options.get_session_config_entry(SPINNING) == "0"


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
