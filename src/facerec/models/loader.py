"""Build the face engine that the settings ask for: locate and verify the pack, load it, warm it up."""

import logging
import time

from facerec.models.engine import EngineOptions, FaceEngine, StageTimer
from facerec.models.packs import PACKS
from facerec.models.store import locate_pack
from facerec.settings import Settings

logger = logging.getLogger(__name__)


def engine_options(settings: Settings) -> EngineOptions:
    return EngineOptions(
        det_size=settings.det_size,
        det_threshold=settings.det_threshold,
        min_face_size=settings.min_face_size,
        device=settings.device,
        intra_op_threads=settings.intra_op_threads,
    )


def load_engine(settings: Settings, timer: StageTimer | None = None) -> FaceEngine:
    started = time.perf_counter()
    files = locate_pack(
        PACKS[settings.model_pack], cache_dir=settings.model_cache_dir, base_url=settings.model_base_url
    )
    engine = FaceEngine(files, engine_options(settings), timer)
    engine.warm_up()
    logger.info("model pack %s loaded and warm in %.2f s", files.pack.name, time.perf_counter() - started)
    points = files.pack.operating_points
    logger.info(
        "thresholds strict %.2f, default %.2f, loose %.2f, ambiguity margin %.2f (%s)",
        points.strict,
        points.default,
        points.loose,
        points.ambiguity_margin,
        points.source,
    )
    return engine
