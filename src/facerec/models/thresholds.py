"""Operating points: the calibrated similarity thresholds of a model pack, by name, and the choice of one."""

from dataclasses import dataclass
from enum import StrEnum

CUSTOM = "custom"  # the name reported for a threshold given as a number


class ThresholdName(StrEnum):
    STRICT = "strict"  # fewest false matches; some genuine faces are missed
    DEFAULT = "default"
    LOOSE = "loose"  # fewest misses, for small galleries or when a person confirms every match


@dataclass(frozen=True)
class OperatingPoints:
    """Cosine-similarity thresholds measured for one pack, and where the numbers come from."""

    strict: float
    default: float
    loose: float
    # A search top-1 within this similarity of another identity's best face is `ambiguous`.
    ambiguity_margin: float
    source: str

    def value(self, name: ThresholdName) -> float:
        return {
            ThresholdName.STRICT: self.strict,
            ThresholdName.DEFAULT: self.default,
            ThresholdName.LOOSE: self.loose,
        }[name]


@dataclass(frozen=True)
class Threshold:
    value: float
    name: str  # a ThresholdName, or CUSTOM

    @classmethod
    def choose(cls, points: OperatingPoints, choice: float | ThresholdName | None) -> "Threshold":
        """A named point (the default when nothing is asked for), or the number given."""
        if choice is None:
            choice = ThresholdName.DEFAULT
        if isinstance(choice, ThresholdName):
            return cls(points.value(choice), choice.value)
        return cls(choice, CUSTOM)
