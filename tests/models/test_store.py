"""The model pack store: bundled files, and the whole download path against a local HTTP server."""

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from facerec.errors import ModelUnavailable
from facerec.models.engine import EngineOptions, FaceEngine
from facerec.models.packs import PACKS, ModelFile
from facerec.models.sessions import check_detector, check_recognizer, open_session
from facerec.models.store import bundled_model_dir, download_pack, locate_pack
from tests.packs import served_pack, serving

BUFFALO_S = PACKS["buffalo_s"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server over a folder: (base URL, folder)."""
    served = tmp_path / "served"
    served.mkdir()
    with serving(served) as base_url:
        yield base_url, served


def test_bundled_pack_is_found_and_verified(tmp_path: Path) -> None:
    files = locate_pack(BUFFALO_S, cache_dir=tmp_path, base_url="http://unused.invalid")
    assert files.recognizer.name == "w600k_mbf.onnx"
    assert files.recognizer.parent == bundled_model_dir()


def test_a_pack_is_downloaded_once_verified_and_loadable(server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = server
    pack = served_pack(served)
    cache = tmp_path / "cache"
    cache.mkdir()

    files = locate_pack(pack, cache_dir=cache, base_url=base_url)

    assert files.detector == cache / pack.name / pack.detector.name
    assert sorted(p.name for p in (cache / pack.name).iterdir()) == sorted(f.name for f in pack.files)
    assert [p.name for p in cache.iterdir()] == [pack.name], "no scratch files left behind"
    FaceEngine(files, EngineOptions(device="cpu")).warm_up()
    (served / f"{pack.name}.zip").unlink()  # a second start needs no network
    assert locate_pack(pack, cache_dir=cache, base_url=base_url) == files


def test_an_archive_with_the_wrong_checksum_is_never_installed(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, served = server
    pack = replace(served_pack(served), archive_sha256="0" * 64)

    with pytest.raises(ModelUnavailable, match="sha256"):
        download_pack(pack, cache_dir=tmp_path, base_url=base_url)
    assert list((tmp_path / pack.name).iterdir()) == []


def test_a_file_with_the_wrong_checksum_is_never_installed(server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = server
    pack = replace(served_pack(served), recognizer=ModelFile(BUFFALO_S.recognizer.name, "f" * 64))

    with pytest.raises(ModelUnavailable, match="sha256"):
        download_pack(pack, cache_dir=tmp_path, base_url=base_url)
    assert list((tmp_path / pack.name).iterdir()) == []


def test_offline_start_says_how_to_preseed_the_cache(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="facerec models download buffalo_l"):
        locate_pack(PACKS["buffalo_l"], cache_dir=tmp_path, base_url="http://127.0.0.1:9")


def test_a_corrupted_cached_file_is_a_clear_error(server: tuple[str, Path], tmp_path: Path) -> None:
    base_url, served = server
    pack = served_pack(served)
    files = locate_pack(pack, cache_dir=tmp_path, base_url=base_url)
    files.recognizer.write_bytes(b"not a model")

    with pytest.raises(ModelUnavailable, match="does not match its pinned sha256"):
        locate_pack(pack, cache_dir=tmp_path, base_url=base_url)


def test_a_model_of_the_wrong_shape_is_refused() -> None:
    """Loadable ONNX with the wrong inputs and outputs is refused before it is used."""
    detector = bundled_model_dir() / BUFFALO_S.detector.name
    recognizer = bundled_model_dir() / BUFFALO_S.recognizer.name
    with pytest.raises(ModelUnavailable, match="ArcFace"):
        check_recognizer(open_session(detector, device="cpu", intra_op_threads=1), detector)
    with pytest.raises(ModelUnavailable, match="SCRFD"):
        check_detector(open_session(recognizer, device="cpu", intra_op_threads=1), recognizer)


def test_a_file_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.onnx"
    bogus.write_bytes(b"\x00garbage")
    with pytest.raises(ModelUnavailable, match="not a loadable ONNX model"):
        open_session(bogus, device="cpu", intra_op_threads=1)
