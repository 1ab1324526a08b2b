from facerec.models.packs import PACKS
from facerec.models.thresholds import CUSTOM, OperatingPoints, Threshold, ThresholdName

POINTS = OperatingPoints(strict=0.45, default=0.40, loose=0.35, ambiguity_margin=0.06, source="test")


def test_thresholds_are_chosen_by_name_or_number() -> None:
    assert Threshold.choose(POINTS, None) == Threshold(0.40, "default")
    assert Threshold.choose(POINTS, ThresholdName.STRICT) == Threshold(0.45, "strict")
    assert Threshold.choose(POINTS, ThresholdName.LOOSE) == Threshold(0.35, "loose")
    assert Threshold.choose(POINTS, 0.5) == Threshold(0.5, CUSTOM)


def test_every_pack_orders_its_points_and_says_where_they_come_from() -> None:
    for pack in PACKS.values():
        points = pack.operating_points
        assert points.loose < points.default < points.strict, pack.name
        assert 0 < points.ambiguity_margin < points.strict - points.loose, pack.name
        assert points.source, pack.name
