"""How often a stranger's face scores at least a threshold against one enrolled person, and the search
threshold that follows for a gallery of N persons: FPIR = 1 - (1 - FAR)^N, solved for the threshold.

The curve is of a person's score (`facerec.person_score`, the centroid of their faces), measured on
faces-celeba by `python -m bench.accuracy` (docs/ACCURACY.md, "Thresholds that follow the gallery"): at
each threshold the highest FAR over persons of 1, 2, 4 and 8 faces, down to where at least 10 false
accepts back it. Below that the FAR falls by `tail_slope` decades per unit of threshold, the log-linear fit
of the measured curve between FAR 1e-3 and 1e-5 (an extrapolation: real tails hold lookalikes and relatives
that 160 people do not).
"""

import math
from bisect import bisect_left
from dataclasses import dataclass


@dataclass(frozen=True)
class FarCurve:
    points: tuple[tuple[float, float], ...]  # (threshold, FAR), thresholds rising, FAR falling
    tail_slope: float  # log10 FAR per unit of threshold beyond the last point (negative)
    source: str

    def far_at(self, threshold: float) -> float:
        """The FAR at a threshold, interpolated in log FAR between points and extrapolated past the last."""
        thresholds = [t for t, _ in self.points]
        if threshold <= thresholds[0]:
            return self.points[0][1]
        index = bisect_left(thresholds, threshold)
        if index == len(self.points):
            last_threshold, last_far = self.points[-1]
            return last_far * 10 ** (self.tail_slope * (threshold - last_threshold))
        (t0, f0), (t1, f1) = self.points[index - 1], self.points[index]
        share = (threshold - t0) / (t1 - t0)
        return 10 ** (math.log10(f0) + share * (math.log10(f1) - math.log10(f0)))

    def threshold_at(self, far: float) -> float:
        """The lowest threshold whose FAR is at most `far` (the lowest point's when `far` is above it)."""
        if not 0 < far < 1:
            raise ValueError(f"a FAR is between 0 and 1, not {far}")
        for (t0, f0), (t1, f1) in zip(self.points, self.points[1:], strict=False):
            if f1 <= far:
                if f0 <= far:
                    return t0
                share = (math.log10(far) - math.log10(f0)) / (math.log10(f1) - math.log10(f0))
                return t0 + share * (t1 - t0)
        last_threshold, last_far = self.points[-1]
        return last_threshold + (math.log10(far) - math.log10(last_far)) / self.tail_slope

    def threshold_for(self, *, fpir: float, persons: int) -> float:
        """The search threshold at which a stranger matches one of `persons` people with probability
        `fpir`, each person's score independently reaching it with the curve's FAR."""
        if not 0 < fpir < 1:
            raise ValueError(f"an FPIR is between 0 and 1, not {fpir}")
        if persons < 1:
            raise ValueError(f"a gallery holds at least one person, not {persons}")
        return self.threshold_at(-math.expm1(math.log1p(-fpir) / persons))


FAR_CURVES = {
    "buffalo_s": FarCurve(
        points=(
            (0.10, 0.106),
            (0.11, 0.0846),
            (0.12, 0.0672),
            (0.13, 0.0531),
            (0.14, 0.0417),
            (0.15, 0.0322),
            (0.16, 0.025),
            (0.17, 0.019),
            (0.18, 0.0147),
            (0.19, 0.0111),
            (0.20, 0.00856),
            (0.21, 0.00662),
            (0.22, 0.00482),
            (0.23, 0.00352),
            (0.24, 0.00251),
            (0.25, 0.00187),
            (0.26, 0.00138),
            (0.27, 0.00102),
            (0.28, 0.000774),
            (0.29, 0.000561),
            (0.30, 0.00041),
            (0.31, 0.000248),
            (0.32, 0.000167),
            (0.33, 0.000122),
            (0.34, 9.61e-05),
            (0.35, 9.1e-05),
            (0.36, 5.16e-05),
        ),
        tail_slope=-11.75,
        source="faces-celeba, 1,276 photos of 159 people, 2026-11-28",
    ),
}
