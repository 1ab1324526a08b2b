"""Operating points: the calibrated similarity thresholds of a model pack, by name, and the choice of one."""

from dataclasses import dataclass
from enum import StrEnum

from facerec.models.far_curve import FarCurve

CUSTOM = "custom"  # the name reported for a threshold given as a number


class Auto(StrEnum):
    """A search threshold that follows the number of persons searched (`FarCurve`)."""

    AUTO = "auto"


AUTO = Auto.AUTO


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
    name: str  # a ThresholdName, CUSTOM or AUTO
    fpir: float | None = None  # AUTO only: the false-positive identification rate aimed at
    persons: int | None = None  # AUTO only: the persons searched

    @classmethod
    def choose(cls, points: OperatingPoints, choice: float | ThresholdName | None) -> "Threshold":
        """A named point (the default when nothing is asked for), or the number given."""
        if choice is None:
            choice = ThresholdName.DEFAULT
        if isinstance(choice, ThresholdName):
            return cls(points.value(choice), choice.value)
        return cls(choice, CUSTOM)

    @classmethod
    def follow(cls, curve: FarCurve, *, fpir: float, persons: int) -> "Threshold":
        """The search threshold at which a stranger matches one of `persons` people with probability
        `fpir` (an empty gallery is treated as one person)."""
        searched = max(persons, 1)
        return cls(curve.threshold_for(fpir=fpir, persons=searched), AUTO.value, fpir, persons)
