"""Accuracy of the face engine on a labelled photo set: verification, thresholds, search verdicts, quality,
calibrated operating points, search by person and by gallery size, photos with bystanders.

    python -m bench.accuracy DATASET_DIR [--pack buffalo_s] [--out docs] [--threshold 0.40] [--skip-quality]

DATASET_DIR holds `labels.csv` (`path,identity`) and optionally `pairs.csv` (`path_a,path_b,same[,fold]`);
images beside them that have no label are group photos (no subject). Every photo is decoded and embedded by
the code the API runs (`decode_image`, `FaceEngine.encode`; the most prominent face unless a study needs them
all). Prints markdown tables and writes OUT/roc-PACK-DATASET.png (the ROC curve above the similarity
histograms) and OUT/det-PACK-DATASET.png. A pair is a match when its cosine similarity is at least the
threshold, as in the search query. The person and gallery-size studies need a set of more than 100 people
with at least 5 photos each (faces-celeba).
"""

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from bench.accuracy.bystanders import group_ratios, multi_face_photos
from bench.accuracy.bystanders import sweep as bystander_sweep
from bench.accuracy.calibration import calibrate, far_curves
from bench.accuracy.clusters import cluster_study
from bench.accuracy.data import (
    Embeddings,
    Photo,
    embed_all,
    labelled_pairs,
    read_pairs,
    read_photos,
    unlabelled_images,
)
from bench.accuracy.det import save_det
from bench.accuracy.figure import save_figure
from bench.accuracy.gallery import GALLERY_SIZES, gallery_figures, gallery_run
from bench.accuracy.identification import closed_set, first_per_identity, held_out_groups, open_set
from bench.accuracy.labels import clean_labels
from bench.accuracy.persons import ENROLLED_PERSONS, compare, eligible_persons
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
from bench.accuracy.study_report import (
    bystander_tables,
    calibration_table,
    cleaning_section,
    cluster_table,
    far_curve_table,
    gallery_table,
    persons_table,
    shipped_curve_table,
)
from bench.accuracy.verdicts import margin_table, verdict_searches
from bench.accuracy.verification import PairScores, Verification, score_pairs, verify
from facerec.imaging.intake import ImageLimits
from facerec.models.faces import FloatArray
from facerec.models.far_curve import FAR_CURVES
from facerec.models.loader import load_engine
from facerec.models.packs import PACKS
from facerec.settings import Settings

SWEEP = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65)
LOW_THRESHOLD = 0.25  # below every operating point: where false matches happen for the margin to catch
CURVE_SEED = 1


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
    parser.add_argument(
        "--skip-quality", action="store_true", help="leave out the quality bar (5 copies of every photo)"
    )
    return parser.parse_args()


def bystander_section(photos: Sequence[Photo], embeddings: Embeddings, groups: Sequence[str]) -> str:
    multi = multi_face_photos(photos, embeddings.faces)
    ratios = group_ratios(embeddings.faces, groups)
    return bystander_tables(multi, ratios, bystander_sweep(multi, ratios))


def calibration_sections(
    figure_stem: str, photos: Sequence[Photo], vectors: dict[str, FloatArray], pack: str, out: Path
) -> list[str]:
    """Operating points on the cleaned labels; with a set large enough, person search and gallery sizes."""
    cleaning = clean_labels(photos, vectors)
    scores = score_pairs("all pairs, labels cleaned", labelled_pairs(cleaning.photos), vectors)
    calibrated = calibrate(scores)
    sections = [cleaning_section(cleaning), calibration_table(scores, calibrated)]
    det_path = out / f"det-{figure_stem}.png"
    save_det([verify(scores)], calibrated, f"DET: {pack}, {scores.name}", det_path)
    sections.append(f"![DET, {pack}]({det_path.name})")
    curve = FAR_CURVES.get(pack)
    if curve is not None:
        sections.append(shipped_curve_table(scores, curve))
    if len(eligible_persons(cleaning.photos)) <= ENROLLED_PERSONS:
        return sections
    print("person search and gallery sizes", file=sys.stderr, flush=True)
    points = PACKS[pack].operating_points
    curves = far_curves(cleaning.photos, vectors, CURVE_SEED)
    sections.append(far_curve_table(scores, curves))
    sections.append(persons_table(compare(cleaning.photos, vectors), points.default, points.ambiguity_margin))
    persons = len({p.identity for p in cleaning.photos})
    clusters = cluster_study(cleaning.photos, vectors)
    sections.append(cluster_table(clusters, persons, len(cleaning.photos)))
    if curve is not None:
        runs = [
            gallery_run(cleaning.photos, vectors, size, min(size, ENROLLED_PERSONS), curves.impostor_scores)
            for size in GALLERY_SIZES
        ]
        figures = [(run, gallery_figures(run, curve, points.default)) for run in runs]
        sections.append(gallery_table(figures, points.default))
    return sections


def main() -> None:
    # insightface's norm_crop calls a deprecated scikit-image API once per face (pyproject ignores it too)
    warnings.filterwarnings("ignore", "`estimate` is deprecated", FutureWarning)
    args = parse_args()
    settings = Settings(_env_file=None, model_pack=args.pack, intra_op_threads=args.threads)
    points = PACKS[args.pack].operating_points
    candidate = points.default if args.threshold is None else args.threshold
    engine = load_engine(settings)
    photos = read_photos(args.dataset)
    groups = unlabelled_images(args.dataset, photos)
    print(f"embedding {len(photos) + len(groups)} photos with {args.pack}", file=sys.stderr, flush=True)
    paths = [photo.path for photo in photos] + groups
    limits = ImageLimits(settings.max_image_pixels, settings.max_decode_bytes)
    embeddings = embed_all(engine, args.dataset, paths, limits)
    vectors = embeddings.vectors
    verifications = [verify(scores) for scores in pair_sets(args.dataset, photos, vectors)]
    everything = verifications[-1]
    searches = open_set(photos, vectors)
    identities = len(first_per_identity(photos, vectors))
    print("searching with verdicts", file=sys.stderr, flush=True)
    verdicts = verdict_searches(photos, vectors, held_out_groups(photos))
    stem = f"{args.pack}-{args.dataset.name}"
    sections = [
        header(args.pack, args.dataset, photos, embeddings, args.threads),
        verification_table(verifications),
        distribution_table(verifications),
        threshold_table(everything.scores, searches, sweep(everything, candidate), candidate),
        operating_points_table(everything.scores, points),
        margin_table(verdicts, (LOW_THRESHOLD, points.loose, points.default), points.ambiguity_margin),
        identification_table(closed_set(photos, vectors), identities),
        hardest_pairs(everything.scores),
    ]
    if not args.skip_quality:
        print("trying the quality bar on worse copies", file=sys.stderr, flush=True)
        bar = settings.quality_bar
        effects = bar_effects(engine, args.dataset, photos, embeddings, bar, limits)
        sections.append(bar_table(effects, bar, points.default) + "\n\n" + quality_ranges(embeddings))
    roc_path = args.out / f"roc-{stem}.png"
    save_figure(verifications, candidate, f"ROC: {args.pack} on {args.dataset.name}", roc_path)
    sections.append(f"![ROC, {args.pack}]({roc_path.name})")
    sections.append(bystander_section(photos, embeddings, groups))
    print("calibrating", file=sys.stderr, flush=True)
    sections += calibration_sections(stem, photos, vectors, args.pack, args.out)
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
