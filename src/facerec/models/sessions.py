"""ONNX Runtime sessions we own: providers and thread counts from settings, shapes checked before use."""

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidProtobuf, NoSuchFile

from facerec.errors import ModelUnavailable
from facerec.models.cores import CoreShare, ModelSession, SharedSession

Device = Literal["auto", "cpu", "cuda"]
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
EMBEDDING_SIZE = 512
ALIGNED_FACE_SIDE = 112
SPINNING = "session.intra_op.allow_spinning"
SPINNING_STOP = "session.force_spinning_stop"


def check_device(device: Device) -> None:
    """Refuse DEVICE=cuda at once where ONNX Runtime has no CUDA provider, before anything starts."""
    available = ort.get_available_providers()
    if device == "cuda" and CUDA not in available:
        raise ModelUnavailable(
            f"DEVICE=cuda was asked for, but this ONNX Runtime has no CUDA provider (it has "
            f"{', '.join(available)}): install facerec[gpu] (onnxruntime-gpu in place of onnxruntime) on a "
            "machine with CUDA and cuDNN, or set DEVICE=cpu"
        )


def providers_for(device: Device) -> list[str]:
    check_device(device)
    if device != "cpu" and CUDA in ort.get_available_providers():
        return [CUDA, CPU]
    return [CPU]


def open_model(path: Path, *, device: Device, intra_op_threads: int, cores: CoreShare) -> ModelSession:
    """One model's sessions: where a run may take more than one CPU thread, a second session with one
    thread for runs that overlap another (facerec.models.cores)."""
    alone: ModelSession = open_session(path, device=device, intra_op_threads=intra_op_threads, spinning=True)
    if intra_op_threads == 1 or CUDA in alone.get_providers():
        return alone
    beside = open_session(path, device=device, intra_op_threads=1)
    return SharedSession(alone, beside, cores)


def open_session(
    path: Path, *, device: Device, intra_op_threads: int, spinning: bool = False
) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = intra_op_threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # A spinning pool thread picks up each operator's work at once, and stops spinning when the run ends, so
    # it never burns a core between requests; where runs overlap, nothing spins (facerec.models.cores).
    options.add_session_config_entry(SPINNING, "1" if spinning else "0")
    options.add_session_config_entry(SPINNING_STOP, "1")
    options.log_severity_level = 3  # a batch larger than the model's nominal 1 is fine; no warning per run
    try:
        session = ort.InferenceSession(str(path), options, providers=providers_for(device))
    except (Fail, InvalidProtobuf, NoSuchFile) as error:
        raise ModelUnavailable(f"{path} is not a loadable ONNX model: {error}") from error
    if device == "cuda" and CUDA not in session.get_providers():
        # ONNX Runtime falls back to the CPU, with only a warning, when CUDA or cuDNN libraries are missing
        raise ModelUnavailable(f"DEVICE=cuda: the CUDA provider did not load for {path.name} (see the log)")
    return session


def check_detector(session: ModelSession, path: Path) -> None:
    """An SCRFD detector with landmarks: one NCHW image input, 3 strides x (score, box, 5 keypoints)."""
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    if len(inputs) != 1 or not _is_image_input(inputs[0].shape, side=None) or len(outputs) not in (9, 15):
        raise ModelUnavailable(f"{path} is not an SCRFD face detector with landmarks")


def check_recognizer(session: ModelSession, path: Path) -> None:
    """An ArcFace recognizer: 112x112 face crops in, one 512-D embedding per crop out."""
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    if (
        len(inputs) != 1
        or not _is_image_input(inputs[0].shape, side=ALIGNED_FACE_SIDE)
        or len(outputs) != 1
        or outputs[0].shape[-1] != EMBEDDING_SIZE
    ):
        raise ModelUnavailable(f"{path} is not an ArcFace model producing {EMBEDDING_SIZE}-D embeddings")


def _is_image_input(shape: Sequence[object], *, side: int | None) -> bool:
    if len(shape) != 4 or shape[1] != 3:
        return False
    return side is None or (shape[2] == side and shape[3] == side)
