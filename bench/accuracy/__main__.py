"""Accuracy of the face engine on a labelled photo set: verification, thresholds, search verdicts, quality.

    python -m bench.accuracy DATASET_DIR [--pack buffalo_s] [--out docs] [--threshold 0.40]

DATASET_DIR holds `labels.csv` (`path,identity`) and optionally `pairs.csv` (`path_a,path_b,same[,fold]`).
Every photo is decoded and embedded by the code the API runs (`decode_image`, `FaceEngine.encode`, most
prominent face). Prints markdown tables and writes OUT/roc-PACK.png: the ROC curve above the similarity
histograms. A pair is a match when its cosine similarity is at least the threshold, as in the search query.
"""

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from bench.accuracy.data import Photo, embed_all, labelled_pairs, read_pairs, read_photos
from bench.accuracy.figure import save_figure
from bench.accuracy.identification import closed_set, first_per_identity, held_out_groups, open_set
from bench.accuracy.quality import bar_effects, bar_table, quality_ranges
from bench.accuracy.report import (
    distribution_table,
    hardest_pairs,
    header,
    identification_table,
    operating_points_table,
    threshold_table,
    verification_table,
)
from bench.accuracy.verdicts import margin_table, verdict_searches
from bench.accuracy.verification import PairScores, Verification, score_pairs, verify
from facerec.imaging.intake import ImageLimits
from facerec.models.faces import FloatArray
from facerec.models.loader import load_engine
from facerec.models.packs import PACKS
from facerec.settings import Settings

SWEEP = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65)
LOW_THRESHOLD = 0.25  # below every operating point: where false matches happen for the margin to catch


def pair_sets(dataset: Path, photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> list[PairScores]:
    sets = [score_pairs("all pairs from labels.csv", labelled_pairs(photos), vectors)]
    pairs_file = dataset / "pairs.csv"
    if pairs_file.exists():
        sets.insert(0, score_pairs("pairs.csv", read_pairs(pairs_file), vectors))
    return sets


def sweep(verification: Verification, candidate: float) -> list[float]:
    at_targets = [point.rates.threshold for point in verification.points]
    return sorted({*SWEEP, candidate, *at_targets})


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", type=Path, help="folder with labels.csv and optionally pairs.csv")
    parser.add_argument("--pack", default="buffalo_s", choices=sorted(PACKS))
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where roc-PACK.png is written")
    parser.add_argument(
        "--threshold", type=float, help="candidate default (the pack's default operating point if absent)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="ONNX Runtime threads per session; 0 = all cores"
    )
    return parser.parse_args()


def main() -> None:
    # insightface's norm_crop calls a deprecated scikit-image API once per face (pyproject ignores it too)
    warnings.filterwarnings("ignore", "`estimate` is deprecated", FutureWarning)
    args = parse_args()
    settings = Settings(_env_file=None, model_pack=args.pack, intra_op_threads=args.threads)
    points = PACKS[args.pack].operating_points
    candidate = points.default if args.threshold is None else args.threshold
    engine = load_engine(settings)
    photos = read_photos(args.dataset)
    print(f"embedding {len(photos)} photos with {args.pack}", file=sys.stderr, flush=True)
    limits = ImageLimits(settings.max_image_pixels, settings.max_decode_bytes)
    embeddings = embed_all(engine, args.dataset, photos, limits)
    vectors = embeddings.vectors
    verifications = [verify(scores) for scores in pair_sets(args.dataset, photos, vectors)]
    everything = verifications[-1]
    searches = open_set(photos, vectors)
    identities = len(first_per_identity(photos, vectors))
    print("searching with verdicts, and trying the quality bar on worse copies", file=sys.stderr, flush=True)
    verdicts = verdict_searches(photos, vectors, held_out_groups(photos))
    bar = settings.quality_bar
    effects = bar_effects(engine, args.dataset, photos, embeddings, bar, limits)
    sections = [
        header(args.pack, args.dataset, photos, embeddings, args.threads),
        verification_table(verifications),
        distribution_table(verifications),
        threshold_table(everything.scores, searches, sweep(everything, candidate), candidate),
        operating_points_table(everything.scores, points),
        margin_table(verdicts, (LOW_THRESHOLD, points.loose, points.default), points.ambiguity_margin),
        identification_table(closed_set(photos, vectors), identities),
        hardest_pairs(everything.scores),
        bar_table(effects, bar, points.default) + "\n\n" + quality_ranges(embeddings),
    ]
    roc_path = args.out / f"roc-{args.pack}.png"
    save_figure(verifications, candidate, f"ROC: {args.pack} on {args.dataset.name}", roc_path)
    sections.append(f"![ROC, {args.pack}]({roc_path.name})")
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
