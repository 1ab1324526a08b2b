"""Accuracy of the face engine on a labelled photo set: verification, thresholds and identification.

    python bench/accuracy.py DATASET_DIR [--pack buffalo_s] [--out docs] [--threshold 0.40]

DATASET_DIR holds `labels.csv` (`path,identity`) and optionally `pairs.csv` (`path_a,path_b,same[,fold]`).
Every photo is decoded and embedded by the code the API runs (`decode_image`, `FaceEngine.encode`, most
prominent face). Prints markdown tables and writes OUT/roc-PACK.png: the ROC curve above the similarity
histograms. A pair is a match when its cosine similarity is at least the threshold, as in the search query.
"""

import argparse
import csv
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from facerec.errors import FacerecError
from facerec.imaging.intake import decode_image
from facerec.models.engine import FaceEngine
from facerec.models.faces import FloatArray
from facerec.models.loader import load_engine
from facerec.models.packs import PACKS
from facerec.settings import Settings

Scores = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
Folds = npt.NDArray[np.int64]

FOLDS = 10
TARGET_FARS = (1e-3, 1e-4)
RANKS = (1, 5)
SWEEP = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65)
OPEN_SET_SHARE = 0.3  # share of identities left out of the gallery in each open-set round
SEED = 20240601
GRID = 1000  # thresholds are reported on a 0.001 grid


@dataclass(frozen=True)
class Photo:
    path: str
    identity: str


@dataclass(frozen=True)
class Pair:
    path_a: str
    path_b: str
    same: bool
    fold: int | None


@dataclass(frozen=True)
class Failure:
    path: str
    code: str
    message: str


@dataclass(frozen=True)
class Embeddings:
    vectors: dict[str, FloatArray]  # path -> unit-norm embedding
    failures: list[Failure]
    seconds: float


@dataclass(frozen=True)
class PairScores:
    name: str
    pairs: list[Pair]  # those scored, in file order
    similarity: Scores
    same: Flags
    fold: Folds
    skipped: int  # pairs with a photo that gave no embedding

    @property
    def genuine(self) -> Scores:
        return self.similarity[self.same]

    @property
    def impostor(self) -> Scores:
        return self.similarity[~self.same]


@dataclass(frozen=True)
class Rates:
    threshold: float
    false_accepts: int
    impostors: int
    false_rejects: int
    genuines: int

    @property
    def far(self) -> float:
        return self.false_accepts / self.impostors

    @property
    def frr(self) -> float:
        return self.false_rejects / self.genuines


@dataclass(frozen=True)
class OperatingPoint:
    target_far: float
    rates: Rates

    @property
    def meaningful(self) -> bool:
        """At least one false accept is allowed: with fewer than 1/FAR impostors this is TAR at FAR = 0."""
        return self.rates.impostors * self.target_far >= 1


@dataclass(frozen=True)
class Verification:
    scores: PairScores
    accuracies: list[float]  # per test fold
    thresholds: list[float]  # chosen on the other nine folds
    equal_error_rate: float
    equal_error_threshold: float
    points: list[OperatingPoint]


@dataclass(frozen=True)
class Ranking:
    probes: int
    hit_rates: dict[int, float]  # rank -> share of probes whose identity is within that rank


@dataclass(frozen=True)
class OpenSetSearches:
    """One search per probe and round: the best gallery similarity, and whether it is the probe's identity."""

    top_score: Scores
    correct: Flags
    enrolled: Flags  # the probe's identity is in that round's gallery
    held_out: list[list[str]]  # identities left out, per round


@dataclass(frozen=True)
class OpenSetRates:
    false_matches: int  # non-enrolled probes whose best match is at or above the threshold
    impostor_probes: int
    found: int  # enrolled probes whose best match is their identity, at or above the threshold
    misidentified: int  # enrolled probes whose best match is someone else, at or above the threshold
    genuine_probes: int


# Reading and embedding


def read_photos(dataset: Path) -> list[Photo]:
    with (dataset / "labels.csv").open(newline="") as file:
        return [Photo(row["path"], row["identity"]) for row in csv.DictReader(file)]


def read_pairs(path: Path) -> list[Pair]:
    with path.open(newline="") as file:
        return [
            Pair(row["path_a"], row["path_b"], row["same"] == "1", fold_of(row))
            for row in csv.DictReader(file)
        ]


def fold_of(row: dict[str, str]) -> int | None:
    value = row.get("fold") or ""
    return int(value) if value.strip() else None


def labelled_pairs(photos: Sequence[Photo]) -> list[Pair]:
    return [
        Pair(a.path, b.path, a.identity == b.identity, None)
        for i, a in enumerate(photos)
        for b in photos[i + 1 :]
    ]


def embed(engine: FaceEngine, image_path: Path, max_pixels: int) -> FloatArray:
    image = decode_image(image_path.read_bytes(), max_pixels=max_pixels)
    return engine.encode(image.pixels, all_faces=False).faces[0].embedding


def embed_all(engine: FaceEngine, dataset: Path, photos: Sequence[Photo], max_pixels: int) -> Embeddings:
    started = time.perf_counter()
    vectors: dict[str, FloatArray] = {}
    failures: list[Failure] = []
    for photo in photos:
        try:
            vectors[photo.path] = embed(engine, dataset / photo.path, max_pixels)
        except FacerecError as error:
            failures.append(Failure(photo.path, error.code, error.message))
    return Embeddings(vectors, failures, time.perf_counter() - started)


# Verification


def stratified_folds(same: Flags) -> Folds:
    """Genuine and impostor pairs dealt round-robin, in file order, so every fold holds both."""
    folds = np.empty(len(same), dtype=np.int64)
    folds[same] = np.arange(int(same.sum())) % FOLDS
    folds[~same] = np.arange(int((~same).sum())) % FOLDS
    return folds


def score_pairs(name: str, pairs: Sequence[Pair], vectors: dict[str, FloatArray]) -> PairScores:
    kept = [pair for pair in pairs if pair.path_a in vectors and pair.path_b in vectors]
    similarity = np.array([float(vectors[p.path_a] @ vectors[p.path_b]) for p in kept], dtype=np.float64)
    same = np.array([p.same for p in kept], dtype=np.bool_)
    if same.all() or not same.any():
        raise SystemExit(f"{name}: needs both same-person and different-person pairs with a face")
    given = [p.fold for p in kept]
    folds = stratified_folds(same) if None in given else np.array(given, dtype=np.int64)
    return PairScores(name, kept, similarity, same, folds, len(pairs) - len(kept))


def rates(scores: PairScores, threshold: float) -> Rates:
    genuine, impostor = scores.genuine, scores.impostor
    return Rates(
        threshold,
        false_accepts=int((impostor >= threshold).sum()),
        impostors=len(impostor),
        false_rejects=int((genuine < threshold).sum()),
        genuines=len(genuine),
    )


def grid_above(value: float) -> float:
    """The smallest threshold on the reporting grid that rejects `value`."""
    return (math.floor(value * GRID + 1e-9) + 1) / GRID


def at_far(scores: PairScores, target: float) -> OperatingPoint:
    """The lowest grid threshold whose false-accept rate is at most `target`."""
    impostor = np.sort(scores.impostor)[::-1]
    allowed = math.floor(target * len(impostor) + 1e-9)
    boundary = float(impostor[allowed]) if allowed < len(impostor) else -1.0
    return OperatingPoint(target, rates(scores, grid_above(boundary)))


def best_threshold(similarity: Scores, same: Flags) -> float:
    """The threshold with the most correct decisions: midpoints between neighbouring distinct scores."""
    order = np.argsort(similarity, kind="stable")
    ordered, genuine = similarity[order], same[order]
    # Accepting ordered[i:]: genuine pairs from i on are right, impostor pairs before i are right.
    genuine_from = genuine.sum() - np.concatenate(([0], np.cumsum(genuine)))
    impostor_before = np.concatenate(([0], np.cumsum(~genuine)))
    right = genuine_from + impostor_before
    edges = np.concatenate(([ordered[0] - 1e-6], (ordered[:-1] + ordered[1:]) / 2, [ordered[-1] + 1e-6]))
    splittable = np.concatenate(([True], ordered[:-1] < ordered[1:], [True]))
    best = int(np.argmax(np.where(splittable, right, -1)))
    return float(edges[best])


def cross_validate(scores: PairScores) -> tuple[list[float], list[float]]:
    accuracies, thresholds = [], []
    for fold in np.unique(scores.fold):
        test = scores.fold == fold
        threshold = best_threshold(scores.similarity[~test], scores.same[~test])
        accepted = scores.similarity[test] >= threshold
        accuracies.append(float(np.mean(accepted == scores.same[test])))
        thresholds.append(threshold)
    return accuracies, thresholds


def roc(scores: PairScores) -> tuple[Scores, Scores, Scores]:
    """False-accept and true-accept rates at every distinct score, highest threshold first."""
    thresholds = np.unique(scores.similarity)[::-1]
    genuine, impostor = np.sort(scores.genuine), np.sort(scores.impostor)
    tar = 1 - np.searchsorted(genuine, thresholds, side="left") / len(genuine)
    far = 1 - np.searchsorted(impostor, thresholds, side="left") / len(impostor)
    return thresholds, far, tar


def equal_error(scores: PairScores) -> tuple[float, float]:
    thresholds, far, tar = roc(scores)
    best = int(np.argmin(np.abs(far - (1 - tar))))
    return float((far[best] + 1 - tar[best]) / 2), float(thresholds[best])


def verify(scores: PairScores) -> Verification:
    accuracies, thresholds = cross_validate(scores)
    eer, eer_threshold = equal_error(scores)
    points = [at_far(scores, target) for target in TARGET_FARS]
    return Verification(scores, accuracies, thresholds, eer, eer_threshold, points)


# Identification


def first_per_identity(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> dict[str, str]:
    """identity -> the path of its first embedded photo, in labels order."""
    gallery: dict[str, str] = {}
    for photo in photos:
        if photo.path in vectors:
            gallery.setdefault(photo.identity, photo.path)
    return gallery


def gallery_similarities(
    probes: Sequence[Photo], gallery: dict[str, str], vectors: dict[str, FloatArray]
) -> Scores:
    probe_matrix = np.stack([vectors[p.path] for p in probes]).astype(np.float64)
    gallery_matrix = np.stack([vectors[path] for path in gallery.values()]).astype(np.float64)
    similarities: Scores = probe_matrix @ gallery_matrix.T
    return similarities


def closed_set(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> Ranking:
    gallery = first_per_identity(photos, vectors)
    enrolled = set(gallery.values())
    probes = [p for p in photos if p.path in vectors and p.path not in enrolled]
    similarities = gallery_similarities(probes, gallery, vectors)
    names = list(gallery)
    truth = similarities[np.arange(len(probes)), [names.index(p.identity) for p in probes]]
    ranks = 1 + (similarities > truth[:, None]).sum(axis=1)
    return Ranking(len(probes), {rank: float(np.mean(ranks <= rank)) for rank in RANKS})


def held_out_groups(photos: Sequence[Photo]) -> list[list[str]]:
    """Identities shuffled with a fixed seed and split so that each is left out in exactly one round."""
    identities = sorted({p.identity for p in photos})
    shuffled = [identities[i] for i in np.random.default_rng(SEED).permutation(len(identities))]
    rounds = max(1, round(1 / OPEN_SET_SHARE))
    return [[str(name) for name in group] for group in np.array_split(np.array(shuffled), rounds)]


def open_set(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> OpenSetSearches:
    groups = held_out_groups(photos)
    top, correct, enrolled = [], [], []
    for held_out in groups:
        gallery = first_per_identity([p for p in photos if p.identity not in held_out], vectors)
        probes = [p for p in photos if p.path in vectors and p.path not in gallery.values()]
        similarities = gallery_similarities(probes, gallery, vectors)
        best = similarities.argmax(axis=1)
        names = list(gallery)
        top.append(similarities.max(axis=1))
        correct.append(np.array([names[b] == p.identity for b, p in zip(best, probes, strict=True)]))
        enrolled.append(np.array([p.identity not in held_out for p in probes]))
    return OpenSetSearches(np.concatenate(top), np.concatenate(correct), np.concatenate(enrolled), groups)


def open_set_rates(searches: OpenSetSearches, threshold: float) -> OpenSetRates:
    above = searches.top_score >= threshold
    enrolled = searches.enrolled
    return OpenSetRates(
        false_matches=int((above & ~enrolled).sum()),
        impostor_probes=int((~enrolled).sum()),
        found=int((above & enrolled & searches.correct).sum()),
        misidentified=int((above & enrolled & ~searches.correct).sum()),
        genuine_probes=int(enrolled.sum()),
    )


# The figure: ROC on top, the similarity distributions below


@dataclass(frozen=True)
class Panel:
    """Maps data to pixels inside a box. With `log_x`, x is a rate placed by its decade, 0 at the left."""

    left: int
    top: int
    width: int
    height: int
    x_range: tuple[float, float]  # with log_x: decades, e.g. (-4, 0)
    y_range: tuple[float, float]
    log_x: bool = False

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def x(self, value: float) -> float:
        low, high = self.x_range
        if self.log_x:
            value = math.log10(value) if value > 0 else low
        return self.left + (min(max(value, low), high) - low) / (high - low) * self.width

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.bottom - (min(max(value, low), high) - low) / (high - low) * self.height


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Tick = tuple[float, str]
COLOURS = ("#1f77b4", "#d62728", "#2ca02c")
GENUINE, IMPOSTOR = "#2ca02c", "#7f7f7f"
GRID_COLOUR = "#dddddd"
INK = "#222222"
WIDTH = 960
BIN = 0.02


@dataclass(frozen=True)
class Figure:
    image: Image.Image
    draw: ImageDraw.ImageDraw
    font: Font
    title_font: Font


def draw_axes(figure: Figure, panel: Panel, x_ticks: Sequence[Tick], y_ticks: Sequence[Tick]) -> None:
    draw, font = figure.draw, figure.font
    for value, label in x_ticks:
        x = panel.x(value)
        draw.line([(x, panel.top), (x, panel.bottom)], fill=GRID_COLOUR)
        draw.text((x, panel.bottom + 8), label, fill=INK, font=font, anchor="mt")
    for value, label in y_ticks:
        y = panel.y(value)
        draw.line([(panel.left, y), (panel.right, y)], fill=GRID_COLOUR)
        draw.text((panel.left - 8, y), label, fill=INK, font=font, anchor="rm")
    draw.rectangle([(panel.left, panel.top), (panel.right, panel.bottom)], outline=INK)


def draw_labels(figure: Figure, panel: Panel, title: str, x_label: str, y_label: str) -> None:
    centre = panel.left + panel.width // 2
    figure.draw.text((centre, panel.top - 24), title, fill=INK, font=figure.title_font, anchor="mm")
    figure.draw.text((centre, panel.bottom + 40), x_label, fill=INK, font=figure.font, anchor="mm")
    left, top, right, bottom = figure.font.getbbox(y_label)
    label = Image.new("RGB", (int(right - left) + 4, int(bottom - top) + 8), "white")
    ImageDraw.Draw(label).text((2, 2 - top), y_label, fill=INK, font=figure.font)
    turned = label.rotate(90, expand=True)
    figure.image.paste(turned, (24 - turned.width // 2, panel.top + (panel.height - turned.height) // 2))


def draw_legend(figure: Figure, origin: tuple[float, float], entries: Sequence[tuple[str, str]]) -> None:
    """Colour and label, one a line, from `origin` (the left end of the first line's swatch) down."""
    x, y = origin
    for i, (colour, label) in enumerate(entries):
        figure.draw.line([(x, y + 24 * i), (x + 30, y + 24 * i)], fill=colour, width=3)
        figure.draw.text((x + 40, y + 24 * i), label, fill=INK, font=figure.font, anchor="lm")


def roc_panel(verifications: Sequence[Verification]) -> Panel:
    """FAR down to the decade of one false accept in the largest impostor set; TAR from where it shows."""
    impostors = max(len(v.scores.impostor) for v in verifications)
    low = min(-1, math.floor(math.log10(1 / impostors)))
    lowest = min(
        float(np.max(tar[far <= 10.0**low], initial=0.0))
        for _, far, tar in (roc(v.scores) for v in verifications)
    )
    floor = min(0.5, math.floor(lowest * 10) / 10)
    return Panel(90, 70, WIDTH - 130, 440, (low, 0), (floor, 1.0), log_x=True)


def draw_roc_curve(figure: Figure, panel: Panel, verification: Verification, colour: str, width: int) -> None:
    _, far, tar = roc(verification.scores)
    points = [(panel.x(0.0), panel.y(0.0))] + [
        (panel.x(f), panel.y(t)) for f, t in zip(far, tar, strict=True)
    ]
    figure.draw.line(points, fill=colour, width=width)


def draw_mark(figure: Figure, panel: Panel, point: Rates, colour: str) -> None:
    x, y = panel.x(point.far), panel.y(1 - point.frr)
    figure.draw.ellipse([(x - 7, y - 7), (x + 7, y + 7)], outline=colour, width=3)


def draw_roc(figure: Figure, verifications: Sequence[Verification], candidate: float, title: str) -> None:
    panel = roc_panel(verifications)
    low, floor = int(panel.x_range[0]), panel.y_range[0]
    x_ticks = [(10.0**e, "1" if e == 0 else f"{10.0**e:g}" if e >= -2 else f"1e{e}") for e in range(low, 1)]
    step = 0.1 if floor <= 0.5 else 0.05
    draw_axes(figure, panel, x_ticks, [(t, f"{t:.2f}") for t in np.arange(floor, 1.0 + 1e-9, step)])
    entries = []
    for i, (verification, colour) in enumerate(zip(verifications, COLOURS, strict=False)):
        # Earlier curves are drawn wider, so a curve that another covers still shows at its edges.
        draw_roc_curve(figure, panel, verification, colour, width=3 + 3 * (len(verifications) - 1 - i))
        draw_mark(figure, panel, rates(verification.scores, candidate), colour)
        s = verification.scores
        entries.append((colour, f"{s.name} ({len(s.genuine)} genuine, {len(s.impostor)} impostor)"))
    x, y = panel.right - 430, panel.bottom - 22 - 24 * (len(entries) - 1)
    note = f"circles: threshold {candidate:.2f}"
    figure.draw.text((x, y - 26), note, fill=INK, font=figure.font, anchor="lm")
    draw_legend(figure, (x, y), entries)
    draw_labels(figure, panel, title, "False accept rate (log scale)", "True accept rate")


def bin_shares(similarity: Scores, edges: Scores) -> Scores:
    counts, _ = np.histogram(similarity, bins=edges)
    shares: Scores = counts / max(1, len(similarity))
    return shares


def draw_distributions(figure: Figure, scores: PairScores, candidate: float, top: int) -> None:
    edges = np.arange(-0.3, 1.0 + BIN / 2, BIN)
    genuine, impostor = bin_shares(scores.genuine, edges), bin_shares(scores.impostor, edges)
    peak = math.ceil(max(genuine.max(), impostor.max()) * 1.3 * 20) / 20  # headroom for the legend
    panel = Panel(90, top, WIDTH - 130, 260, (-0.3, 1.0), (0.0, peak))
    x_ticks = [(t, f"{t:.1f}") for t in np.arange(-0.2, 1.0 + 1e-9, 0.2)]
    draw_axes(figure, panel, x_ticks, [(t, f"{t:.2f}") for t in np.arange(0.0, peak + 1e-9, 0.05)])
    for shares, colour in ((impostor, IMPOSTOR), (genuine, GENUINE)):
        for left, share in zip(edges[:-1], shares, strict=True):
            if share > 0:
                box = [(panel.x(left) + 1, panel.y(share)), (panel.x(left + BIN) - 1, panel.bottom)]
                figure.draw.rectangle(box, outline=colour, width=2)
    x = panel.x(candidate)
    figure.draw.line([(x, panel.top), (x, panel.bottom)], fill=INK, width=2)
    figure.draw.text((x + 6, panel.top + 6), f"threshold {candidate:.2f}", fill=INK, font=figure.font)
    entries = [
        (GENUINE, f"same person ({len(scores.genuine)} pairs)"),
        (IMPOSTOR, f"different people ({len(scores.impostor)} pairs)"),
    ]
    draw_legend(figure, (panel.left + 14, panel.top + 20), entries)
    title = f"Similarity distributions: {scores.name}"
    draw_labels(figure, panel, title, f"Cosine similarity ({BIN} bins)", "Share of pairs")


def save_figure(verifications: Sequence[Verification], candidate: float, title: str, path: Path) -> None:
    image = Image.new("RGB", (WIDTH, 960), "white")
    figure = Figure(
        image, ImageDraw.Draw(image), ImageFont.load_default(size=15), ImageFont.load_default(size=19)
    )
    draw_roc(figure, verifications, candidate, title)
    draw_distributions(figure, verifications[-1].scores, candidate, top=640)
    image.save(path)


# The report


def percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def share(count: int, total: int) -> str:
    return f"{percent(count / total)} ({count}/{total})" if total else "n/a"


def cpu_model() -> str:
    with Path("/proc/cpuinfo").open() as file:
        names = [line.split(":", 1)[1].strip() for line in file if line.startswith("model name")]
    return names[0] if names else "unknown CPU"


def header(pack: str, dataset: Path, photos: Sequence[Photo], embeddings: Embeddings, threads: int) -> str:
    embedded = len(embeddings.vectors)
    per_photo = embeddings.seconds / max(1, len(photos))
    lines = [
        f"## {pack} on {dataset.name}",
        "",
        f"- Machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}); ONNX Runtime threads per session: "
        f"{threads or 'all'}; run {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Photos: {len(photos)} of {len({p.identity for p in photos})} identities; {embedded} embedded in "
        f"{embeddings.seconds:.1f} s ({per_photo:.2f} s per photo)",
        f"- Photos without a usable face: {len(embeddings.failures) or 'none'}",
    ]
    lines += [f"  - `{f.path}`: {f.code} ({f.message})" for f in embeddings.failures]
    return "\n".join(lines)


def point_cell(point: OperatingPoint) -> str:
    flag = "" if point.meaningful else " †"
    return f"{percent(1 - point.rates.frr)} (≥ {point.rates.threshold:.3f}){flag}"


def verification_table(verifications: Sequence[Verification]) -> str:
    fars = " | ".join(f"TAR @ FAR {target:g}" for target in TARGET_FARS)
    lines = [
        "### Verification",
        "",
        f"| pair set | genuine / impostor (skipped) | accuracy (folds) | fold thresholds | EER | {fars} |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(TARGET_FARS),
    ]
    for v in verifications:
        s = v.scores
        mean, spread = percent(float(np.mean(v.accuracies))), percent(float(np.std(v.accuracies)))
        accuracy = f"{mean} ± {spread} ({len(v.accuracies)})"
        chosen = f"{min(v.thresholds):.3f} to {max(v.thresholds):.3f}"
        eer = f"{percent(v.equal_error_rate)} (at {v.equal_error_threshold:.3f})"
        points = " | ".join(point_cell(p) for p in v.points)
        lines.append(
            f"| {s.name} | {len(s.genuine)} / {len(s.impostor)} ({s.skipped}) | {accuracy} | {chosen} "
            f"| {eer} | {points} |"
        )
    lines += [
        "",
        "Accuracy: for each fold, the threshold with the most correct decisions on the other folds, tested "
        "on this one; folds from the file's `fold` column, else genuine and impostor pairs dealt "
        f"round-robin into {FOLDS}. † fewer than 1/FAR impostor pairs: "
        "no false accept is allowed, so this is TAR at FAR = 0 (threshold just above the highest impostor "
        "score).",
    ]
    return "\n".join(lines)


def distribution_table(verifications: Sequence[Verification]) -> str:
    lines = [
        "### Similarity distributions",
        "",
        "| pair set | genuine min | genuine p5 | genuine median | impostor mean ± sd | impostor p99 "
        "| impostor max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for v in verifications:
        g, i = v.scores.genuine, v.scores.impostor
        low = " | ".join(f"{c:.3f}" for c in (g.min(), np.percentile(g, 5), np.median(g)))
        high = " | ".join(f"{c:.3f}" for c in (np.percentile(i, 99), i.max()))
        lines.append(f"| {v.scores.name} | {low} | {i.mean():.3f} ± {i.std():.3f} | {high} |")
    return "\n".join(lines)


def hardest_pairs(scores: PairScores, count: int = 5) -> str:
    order = np.argsort(scores.similarity)
    lowest_genuine = [i for i in order if scores.same[i]][:count]
    highest_impostor = [i for i in order[::-1] if not scores.same[i]][:count]
    lines = [
        f"### Hardest pairs ({scores.name})",
        "",
        "| kind | pair | similarity |",
        "|---|---|---:|",
    ]
    for kind, indices in (("genuine", lowest_genuine), ("impostor", highest_impostor)):
        for i in indices:
            pair = scores.pairs[i]
            lines.append(f"| {kind} | `{pair.path_a}`, `{pair.path_b}` | {scores.similarity[i]:.3f} |")
    return "\n".join(lines)


def threshold_table(
    scores: PairScores, searches: OpenSetSearches, thresholds: Sequence[float], candidate: float
) -> str:
    lines = [
        f"### Thresholds (verification over {scores.name}; open-set search)",
        "",
        "| threshold | FAR (false accepts) | FRR (false rejects) | open set: non-enrolled matched "
        "| open set: enrolled found | open set: wrong person |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for threshold in thresholds:
        r, o = rates(scores, threshold), open_set_rates(searches, threshold)
        name = f"**{threshold:.3f}** (candidate)" if threshold == candidate else f"{threshold:.3f}"
        lines.append(
            f"| {name} | {share(r.false_accepts, r.impostors)} | {share(r.false_rejects, r.genuines)} "
            f"| {share(o.false_matches, o.impostor_probes)} | {share(o.found, o.genuine_probes)} "
            f"| {share(o.misidentified, o.genuine_probes)} |"
        )
    groups = "; ".join(", ".join(group) for group in searches.held_out)
    lines += [
        "",
        f"Open set: {len(searches.held_out)} rounds, each leaving about {OPEN_SET_SHARE:.0%} of the "
        f"identities out of the gallery (one photo per enrolled identity, the first in labels order); every "
        f"other photo is a probe, and its best match counts when it is at or above the threshold. Left out, "
        f"by round: {groups}.",
    ]
    return "\n".join(lines)


def identification_table(ranking: Ranking, identities: int) -> str:
    ranks = " | ".join(f"rank-{rank}" for rank in RANKS)
    hits = " | ".join(percent(ranking.hit_rates[rank]) for rank in RANKS)
    return "\n".join(
        [
            "### Closed-set identification",
            "",
            f"| gallery | probes | {ranks} |",
            "|---:|---:|" + "---:|" * len(RANKS),
            f"| {identities} identities, first photo each | {ranking.probes} | {hits} |",
        ]
    )


# Running it


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
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", type=Path, help="folder with labels.csv and optionally pairs.csv")
    parser.add_argument("--pack", default="buffalo_s", choices=sorted(PACKS))
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where roc-PACK.png is written")
    parser.add_argument(
        "--threshold", type=float, help="candidate default (the pack's match_threshold if absent)"
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
    candidate = PACKS[args.pack].operating_points.default if args.threshold is None else args.threshold
    engine = load_engine(settings)
    photos = read_photos(args.dataset)
    print(f"embedding {len(photos)} photos with {args.pack}", file=sys.stderr, flush=True)
    embeddings = embed_all(engine, args.dataset, photos, settings.max_image_pixels)
    vectors = embeddings.vectors
    verifications = [verify(scores) for scores in pair_sets(args.dataset, photos, vectors)]
    everything = verifications[-1]
    searches = open_set(photos, vectors)
    identities = len(first_per_identity(photos, vectors))
    sections = [
        header(args.pack, args.dataset, photos, embeddings, args.threads),
        verification_table(verifications),
        distribution_table(verifications),
        threshold_table(everything.scores, searches, sweep(everything, candidate), candidate),
        identification_table(closed_set(photos, vectors), identities),
        hardest_pairs(everything.scores),
    ]
    roc_path = args.out / f"roc-{args.pack}.png"
    save_figure(verifications, candidate, f"ROC: {args.pack} on {args.dataset.name}", roc_path)
    sections.append(f"![ROC, {args.pack}]({roc_path.name})")
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
