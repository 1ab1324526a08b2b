"""A second model pack for the tests: the bundled buffalo_s files, zipped and served by a local HTTP
server, so that the whole download path runs and a gallery can change pack."""

import contextlib
import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

from facerec.models.packs import PACKS, ModelPack, PackSource
from facerec.models.store import bundled_model_dir
from tests.http_server import QuietHandler, http_server

BUFFALO_S = PACKS["buffalo_s"]


def served_pack(folder: Path, name: str = "test_pack") -> ModelPack:
    """A downloadable pack built from the bundled buffalo_s files, zipped at the archive root in
    `folder`."""
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for model_file in BUFFALO_S.files:
            bundle.write(bundled_model_dir() / model_file.name, model_file.name)
    return ModelPack(
        name=name,
        source=PackSource.DOWNLOAD,
        detector=BUFFALO_S.detector,
        recognizer=BUFFALO_S.recognizer,
        operating_points=BUFFALO_S.operating_points,
        archive_sha256=hashlib.sha256(archive.read_bytes()).hexdigest(),
    )


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A local HTTP server over `folder`; yields its base URL."""
    with http_server(lambda *args: QuietHandler(*args, directory=str(folder))) as base_url:
        yield base_url
