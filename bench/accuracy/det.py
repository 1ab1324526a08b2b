"""The DET figure: false rejects against false accepts, both on log scales, with the calibrated points."""

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bench.accuracy.calibration import CalibratedPoint
from bench.accuracy.figure import COLOURS, INK, WIDTH, Figure, Panel, draw_axes, draw_labels, draw_legend
from bench.accuracy.verification import Verification, roc


def decade_ticks(low: int) -> list[tuple[float, str]]:
    return [(10.0**e, "1" if e == 0 else f"{10.0**e:g}" if e >= -2 else f"1e{e}") for e in range(low, 1)]


def save_det(
    verifications: Sequence[Verification], points: Sequence[CalibratedPoint], title: str, path: Path
) -> None:
    """FAR from 1e-7 (where zero false accepts sit) to 1, FRR from 1e-3 to 1; circles at the calibrated
    points that the data reaches (at least one false accept allowed)."""
    image = Image.new("RGB", (WIDTH, 640), "white")
    figure = Figure(
        image, ImageDraw.Draw(image), ImageFont.load_default(size=15), ImageFont.load_default(size=19)
    )
    panel = Panel(90, 70, WIDTH - 130, 480, (-7, 0), (-3, 0), log_x=True, log_y=True)
    draw_axes(figure, panel, decade_ticks(-7), decade_ticks(-3))
    entries = []
    for verification, colour in zip(verifications, COLOURS, strict=False):
        _, far, tar = roc(verification.scores)
        line = [(panel.x(f), panel.y(max(1 - t, 1e-3))) for f, t in zip(far, tar, strict=True)]
        figure.draw.line(line, fill=colour, width=3)
        s = verification.scores
        entries.append((colour, f"{s.name} ({len(s.genuine)} genuine, {len(s.impostor)} impostor)"))
    for point in (p for p in points if p.reached):
        x, y = panel.x(point.rates.far), panel.y(point.rates.frr)
        figure.draw.ellipse([(x - 6, y - 6), (x + 6, y + 6)], outline=INK, width=2)
        label = f"FAR {point.target:g}: {point.rates.threshold:.3f}"
        figure.draw.text((x + 10, y - 10), label, fill=INK, font=figure.font, anchor="lb")
    draw_legend(figure, (panel.right - 470, panel.top + 24), entries)
    draw_labels(figure, panel, title, "False accept rate (log scale)", "False reject rate (log scale)")
    image.save(path)
