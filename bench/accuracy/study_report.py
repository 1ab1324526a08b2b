"""The markdown tables of the calibration, person-search, gallery-size and bystander studies."""

from collections.abc import Sequence

from bench.accuracy.bystanders import MultiFacePhoto, RuleOutcome
from bench.accuracy.calibration import (
    CURVE_GRID,
    RELIABLE,
    TAIL_FIT,
    CalibratedPoint,
    FarCurves,
    wilson,
)
from bench.accuracy.clusters import ClusterQuality
from bench.accuracy.gallery import GalleryFigures, GalleryRun
from bench.accuracy.labels import Cleaning
from bench.accuracy.persons import (
    ENROLLED_PERSONS,
    ENROLLED_PHOTOS,
    ROUNDS,
    STRANGERS,
    TARGET_FPIR,
    PersonSearches,
    figures,
)
from bench.accuracy.report import percent, share
from bench.accuracy.verification import PairScores, rates
from facerec.clustering import CLUSTER_THRESHOLD
from facerec.models.faces import DOMINANCE
from facerec.models.far_curve import FarCurve

CURVE_ROWS = tuple(t for t in CURVE_GRID if round(t * 100) % 5 == 0)


def rate_with_interval(false_accepts: int, impostors: int) -> str:
    low, high = wilson(false_accepts, impostors)
    return f"{false_accepts / impostors:.1e} [{low:.1e}, {high:.1e}]"


def cleaning_section(cleaning: Cleaning) -> str:
    merged = ", ".join(f"{a} into {b}" for a, b in cleaning.merged) or "none"
    dropped = ", ".join(f"`{p}` ({label}, looks like {other})" for p, label, other in cleaning.dropped)
    return "\n".join(
        [
            "### Label noise",
            "",
            f"- Identities merged (one person under two labels): {merged}",
            f"- Photos left out (labelled as one person, matching another): {dropped or 'none'}",
            f"- Photos kept for the studies below: {len(cleaning.photos)}",
        ]
    )


def calibration_table(scores: PairScores, points: Sequence[CalibratedPoint]) -> str:
    lines = [
        f"### Calibrated operating points ({scores.name})",
        "",
        "| target FAR | threshold | false accepts | FAR [95% Wilson interval] | FRR (false rejects) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        r = p.rates
        flag = "" if p.reached else " †"
        lines.append(
            f"| {p.target:g} | {r.threshold:.3f}{flag} | {r.false_accepts}/{r.impostors} "
            f"| {rate_with_interval(r.false_accepts, r.impostors)} | {share(r.false_rejects, r.genuines)} |"
        )
    lines += [
        "",
        "The lowest threshold on a 0.001 grid whose FAR over every different-person pair is at most the "
        "target; the interval is for the FAR measured there (pairs share photos, so it is too narrow). "
        "† fewer than 1/FAR impostor pairs: no false accept is allowed and the threshold only sits above "
        "the highest impostor score; the interval's upper end is what the data can promise.",
    ]
    return "\n".join(lines)


def shipped_curve_table(scores: PairScores, curve: FarCurve) -> str:
    lines = [
        f"### The shipped FAR curve on this set ({scores.name}, one face against one face)",
        "",
        "| FAR the curve promises | its threshold | FAR measured [95% interval] | FRR |",
        "|---:|---:|---:|---:|",
    ]
    for target in (1e-2, 1e-3, 1e-4, 1e-5):
        threshold = curve.threshold_at(target)
        r = rates(scores, threshold)
        lines.append(
            f"| {target:g} | {threshold:.3f} | {rate_with_interval(r.false_accepts, r.impostors)} "
            f"| {share(r.false_rejects, r.genuines)} |"
        )
    return "\n".join(lines)


def far_curve_table(scores: PairScores, curves: FarCurves) -> str:
    faces = list(curves.by_faces)
    heads = " | ".join(f"centroid of {k}" for k in faces)
    lines = [
        "### FAR curve of a person's score",
        "",
        f"| threshold | face pair | {heads} | highest (the service's curve) |",
        "|---:|---:|" + "---:|" * len(faces) + "---:|",
    ]
    for i, threshold in enumerate(CURVE_GRID):
        if threshold not in CURVE_ROWS:
            continue
        pair = rates(scores, threshold)
        cells = " | ".join(f"{curves.by_faces[k][i].far:.1e}" for k in faces)
        top = curves.envelope[i]
        lines.append(f"| {threshold:.2f} | {pair.far:.1e} | {cells} | {top.far:.1e} ({top.false_accepts}) |")
    comparisons = ", ".join(f"{k}: {curves.by_faces[k][0].comparisons:,}" for k in faces)
    high, low = TAIL_FIT
    lines += [
        "",
        f"Comparisons (a photo against another person's centroid) by faces per person: {comparisons}. The "
        f"service's curve keeps the points with at least {RELIABLE} false accepts; past them it falls "
        f"{-curves.tail_slope / 10:.2f} decades per 0.1 of threshold (fitted between FAR {high:g} and "
        f"{low:g}).",
    ]
    return "\n".join(lines)


def persons_table(results: dict[str, PersonSearches], threshold: float, margin: float) -> str:
    lines = [
        "### Search by person: the person's score",
        "",
        f"| score | rank-1 | correct `match` at {threshold:.2f} | wrong person `match` "
        f"| strangers `match` at {threshold:.2f} | threshold at FPIR {TARGET_FPIR:.0%} | FNIR there |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, searches in results.items():
        f = figures(searches, threshold, margin)
        lines.append(
            f"| {name} | {percent(f.rank1)} | {percent(f.correct_match)} | {percent(f.wrong_match)} "
            f"| {percent(f.stranger_match)} | {f.threshold_at_fpir:.3f} | {percent(f.fnir)} |"
        )
    any_run = next(iter(results.values()))
    genuine, strangers = int(any_run.enrolled.sum()), int((~any_run.enrolled).sum())
    lines += [
        "",
        f"{ROUNDS} rounds, each enrolling {ENROLLED_PHOTOS} random photos of {ENROLLED_PERSONS} random "
        f"people and searching with their other photos ({genuine} genuine searches in all) and with every "
        f"photo of up to {STRANGERS} people never enrolled ({strangers}). "
        f"`match`: the top person at or above {threshold:.2f} and at least {margin:.2f} ahead of the next "
        "person. FNIR: genuine searches without their own person on top at or above the threshold.",
    ]
    return "\n".join(lines)


def gallery_table(results: Sequence[tuple[GalleryRun, GalleryFigures]], default: float) -> str:
    lines = [
        f"### Open-set search by gallery size (FPIR target {TARGET_FPIR:.0%}, centroid score)",
        "",
        "| persons | measured / simulated | genuine / stranger searches | `auto` threshold | FPIR at auto "
        f"| FNIR at auto | threshold at FPIR {TARGET_FPIR:.0%} | FNIR at FPIR {TARGET_FPIR:.0%} "
        f"| FPIR at {default:.2f} | FNIR at {default:.2f} |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run, f in results:
        how = "measured" if run.persons == run.measured else f"{run.measured} + {run.persons - run.measured}"
        s = run.searches
        lines.append(
            f"| {run.persons:,} | {how} | {int(s.enrolled.sum())} / {int((~s.enrolled).sum())} "
            f"| {f.auto_threshold:.3f} | {percent(f.fpir_at_auto)} | {percent(f.fnir_at_auto)} "
            f"| {f.threshold_at_target:.3f} | {percent(f.fnir_at_target)} | {percent(f.fpir_at_default)} "
            f"| {percent(f.fnir_at_default)} |"
        )
    lines += [
        "",
        "`auto`: `FarCurve.threshold_for(fpir, persons)`. *a + b*: a gallery of a measured persons, and b "
        "simulated persons whose scores are drawn from the person-level impostor scores (centroids of 4 "
        "faces).",
    ]
    return "\n".join(lines)


def bystander_tables(
    photos: Sequence[MultiFacePhoto], groups: dict[str, float], outcomes: Sequence[RuleOutcome]
) -> str:
    lines = [
        "### Photos with bystanders: the dominance rule",
        "",
        "| most prominent ÷ next at least | taken | the labelled person | someone else | not told "
        "| refused | group photos taken |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        name = f"**{o.ratio:.2f}** (chosen)" if o.ratio == DOMINANCE else f"{o.ratio:.2f}"
        lines.append(
            f"| {name} | {o.taken} | {o.taken_right} | {o.taken_wrong} | {o.taken_untold} | {o.refused} "
            f"| {o.groups_taken}/{len(groups)} |"
        )
    group_list = ", ".join(f"`{path}` {ratio:.2f}" for path, ratio in sorted(groups.items())) or "none"
    refused = ", ".join(
        f"`{p.path}` {p.ratio:.2f}" for p in sorted(photos, key=lambda p: p.ratio) if not p.taken
    )
    lines += [
        "",
        f"{len(photos)} labelled photos with more than one recognisable face. *the labelled person*: the "
        "most prominent face is the one that matches the person's other photos; *not told*: no face, or more "
        "than one, does. Group photos (unlabelled) and their ratios: "
        f"{group_list}. Refused at {DOMINANCE:.2f}: {refused or 'none'}.",
    ]
    return "\n".join(lines)


def cluster_table(results: Sequence[ClusterQuality], persons: int, faces: int) -> str:
    lines = [
        "### Clustering",
        "",
        "| linkage | threshold | groups | faces grouped | purity | completeness |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for q in results:
        chosen = q.method == "average" and q.threshold == CLUSTER_THRESHOLD
        name = f"**{q.method}** (in use)" if chosen else q.method
        lines.append(
            f"| {name} | {q.threshold:.2f} | {q.clusters} | {percent(q.clustered)} | {percent(q.purity)} "
            f"| {percent(q.completeness)} |"
        )
    lines += [
        "",
        f"{faces} faces of {persons} people clustered at once; groups of one face are left apart. *purity*: "
        "grouped faces that belong to their group's most common person; *completeness*: faces in their "
        "person's largest group, over all faces.",
    ]
    return "\n".join(lines)
