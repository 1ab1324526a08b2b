import os
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort
import pytest

from facerec.models.cores import CoreShare, SharedSession
from facerec.models.packs import PACKS
from facerec.models.sessions import (
    CPU,
    CUDA,
    SPINNING,
    SPINNING_STOP,
    open_model,
    open_session,
    providers_for,
)
from facerec.models.store import bundled_model_dir

NO_CUDA = CUDA not in ort.get_available_providers()


def test_the_cpu_is_used_unless_cuda_is_there() -> None:
    assert providers_for("cpu") == [CPU]
    assert providers_for("auto") == ([CPU] if NO_CUDA else [CUDA, CPU])


def test_only_the_threads_of_a_lone_run_spin_and_never_past_its_end() -> None:
    """Between requests no pool thread may burn a core, nor may one spin beside another request's run."""
    path = bundled_model_dir() / PACKS["buffalo_s"].recognizer.name
    alone = open_session(path, device="cpu", intra_op_threads=2, spinning=True).get_session_options()
    beside = open_session(path, device="cpu", intra_op_threads=1).get_session_options()
    assert (alone.intra_op_num_threads, beside.intra_op_num_threads) == (2, 1)
    assert (alone.get_session_config_entry(SPINNING), beside.get_session_config_entry(SPINNING)) == ("1", "0")
    assert alone.get_session_config_entry(SPINNING_STOP) == "1"


def test_a_model_has_a_second_session_only_where_a_run_may_take_more_than_one_thread() -> None:
    path = bundled_model_dir() / PACKS["buffalo_s"].recognizer.name
    assert isinstance(open_model(path, device="cpu", intra_op_threads=2, cores=CoreShare()), SharedSession)
    assert not isinstance(
        open_model(path, device="cpu", intra_op_threads=1, cores=CoreShare()), SharedSession
    )


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
