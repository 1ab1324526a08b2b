"""What `facerec models list` shows: each pack, where its files are, the state of each file, its licence."""

from pathlib import Path

from facerec.errors import ModelUnavailable
from facerec.models.packs import PACKS, ModelPack
from facerec.models.store import FileState, file_state, pack_folder

NEEDS_DOWNLOAD = (FileState.MISSING, FileState.MISMATCH)


def describe_packs(cache_dir: Path) -> list[str]:
    lines = []
    for pack in PACKS.values():
        lines.extend(_describe(pack, cache_dir))
    return lines


def _describe(pack: ModelPack, cache_dir: Path) -> list[str]:
    header = f"{pack.name} ({pack.source.value}) - licence: {pack.licence}"
    try:
        folder = pack_folder(pack, cache_dir)
    except ModelUnavailable as error:
        return [header, f"  {error.message}"]
    lines = [header, f"  folder: {folder}"]
    for model_file in pack.files:
        state = file_state(folder / model_file.name, model_file)
        fix = f" (facerec models download {pack.name})" if state in NEEDS_DOWNLOAD else ""
        lines.append(f"  {model_file.name}: {state.value}{fix}")
    return lines
