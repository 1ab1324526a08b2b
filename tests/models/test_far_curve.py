"""The gallery-size rule: FPIR = 1 - (1 - FAR)^N solved for the threshold, on the measured curve."""

import pytest

from facerec.models.far_curve import FAR_CURVES, FarCurve
from facerec.models.packs import PACKS

CURVE = FarCurve(points=((0.2, 1e-2), (0.3, 1e-3), (0.4, 1e-4)), tail_slope=-10.0, source="test")


def test_the_curve_is_read_in_log_far_between_points_and_past_the_last() -> None:
    assert CURVE.far_at(0.3) == pytest.approx(1e-3)
    assert CURVE.far_at(0.25) == pytest.approx(10**-2.5)
    assert CURVE.far_at(0.5) == pytest.approx(1e-5)  # one decade per 0.1 past the last point
    assert CURVE.far_at(0.1) == pytest.approx(1e-2)  # no lower than the lowest point


def test_the_threshold_is_where_the_far_is_reached() -> None:
    assert CURVE.threshold_at(1e-3) == pytest.approx(0.3)
    assert CURVE.threshold_at(10**-3.5) == pytest.approx(0.35)
    assert CURVE.threshold_at(1e-6) == pytest.approx(0.6)
    assert CURVE.threshold_at(0.5) == pytest.approx(0.2)


def test_a_larger_gallery_needs_a_higher_threshold() -> None:
    # 1 - (1 - 1e-3)^10 = 0.995%: the FPIR of ten persons at a per-person FAR of 1e-3
    assert CURVE.threshold_for(fpir=1 - (1 - 1e-3) ** 10, persons=10) == pytest.approx(0.3)
    assert CURVE.threshold_for(fpir=0.01, persons=1) == pytest.approx(0.2)
    assert CURVE.threshold_for(fpir=0.01, persons=1_000_000) == pytest.approx(0.8, abs=1e-3)


@pytest.mark.parametrize(("fpir", "persons"), [(0.0, 10), (1.0, 10), (0.01, 0)])
def test_impossible_targets_are_refused(fpir: float, persons: int) -> None:
    with pytest.raises(ValueError, match=r"between 0 and 1|at least one person"):
        CURVE.threshold_for(fpir=fpir, persons=persons)


def test_the_buffalo_s_curve_is_a_curve_and_places_the_default_point() -> None:
    curve = FAR_CURVES["buffalo_s"]
    thresholds = [t for t, _ in curve.points]
    fars = [far for _, far in curve.points]
    assert thresholds == sorted(thresholds)
    assert fars == sorted(fars, reverse=True)
    assert curve.tail_slope < 0
    # The default operating point suits galleries of hundreds of persons at an FPIR of 1%, not millions.
    default = PACKS["buffalo_s"].operating_points.default
    assert (
        curve.threshold_for(fpir=0.01, persons=100) < default < curve.threshold_for(fpir=0.01, persons=10_000)
    )
    assert set(FAR_CURVES) <= set(PACKS)
