"""The figure: the ROC curve on top, the similarity distributions below, drawn with Pillow."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench.accuracy.verification import PairScores, Rates, Scores, Verification, rates, roc


@dataclass(frozen=True)
class Panel:
    """Maps data to pixels inside a box. With `log_x` (`log_y`), x (y) is a rate placed by its decade, 0 at
    the left (bottom)."""

    left: int
    top: int
    width: int
    height: int
    x_range: tuple[float, float]  # with log_x: decades, e.g. (-4, 0)
    y_range: tuple[float, float]
    log_x: bool = False
    log_y: bool = False

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
        if self.log_y:
            value = math.log10(value) if value > 0 else low
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
