"""Following faces from frame to frame: SORT's association (greedy IoU between each track's predicted box
and the new detections) with a constant-velocity prediction in place of SORT's Kalman filter. Pure."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from facerec.models.faces import Box

# A detection continues a track when it overlaps the track's predicted box at least this much (SORT: 0.3).
MIN_IOU = 0.3
# A track unseen for more frames than this has ended: long enough to ride out a missed detection or a
# head turned for a moment, short enough that a person who left is reported gone within a second at 5 fps.
MAX_MISSED = 4
# How much of the newest motion goes into the velocity (an exponential moving average per box edge).
VELOCITY_GAIN = 0.5


Edges = tuple[float, float, float, float]  # x1, y1, x2, y2


def _edges(box: Box) -> Edges:
    return (box.x1, box.y1, box.x2, box.y2)


@dataclass
class Track:
    id: int
    box: Box
    velocity: Edges = (0.0, 0.0, 0.0, 0.0)  # px per frame, per edge
    frames: int = 1  # frames in which it was seen
    missed: int = 0  # frames since it was last seen

    def predicted(self) -> Box:
        steps = self.missed + 1
        return Box(
            *(edge + speed * steps for edge, speed in zip(_edges(self.box), self.velocity, strict=True))
        )

    def see(self, box: Box) -> None:
        steps = self.missed + 1
        x1, y1, x2, y2 = (
            (1 - VELOCITY_GAIN) * speed + VELOCITY_GAIN * (after - before) / steps
            for speed, before, after in zip(self.velocity, _edges(self.box), _edges(box), strict=True)
        )
        self.velocity = (x1, y1, x2, y2)
        self.box = box
        self.frames += 1
        self.missed = 0


@dataclass(frozen=True)
class TrackUpdate:
    """What one frame did to the tracks. `assigned[i]` is the track of detection i."""

    assigned: list[Track]
    started: list[Track]
    ended: list[Track]


@dataclass
class Tracker:
    min_iou: float = MIN_IOU
    max_missed: int = MAX_MISSED
    tracks: list[Track] = field(default_factory=list)
    _last_id: int = 0

    def update(self, boxes: Sequence[Box]) -> TrackUpdate:
        pairs = sorted(
            (
                (box.iou(track.predicted()), index, track)
                for index, box in enumerate(boxes)
                for track in self.tracks
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        for overlap, index, track in pairs:
            if overlap < self.min_iou:
                break
            if index not in assigned and all(track is not taken for taken in assigned.values()):
                assigned[index] = track
        for index, track in assigned.items():
            track.see(boxes[index])
        ended = self._age(seen={id(track) for track in assigned.values()})
        started = []
        for index, box in enumerate(boxes):
            if index not in assigned:
                assigned[index] = self._start(box)
                started.append(assigned[index])
        return TrackUpdate([assigned[index] for index in range(len(boxes))], started, ended)

    def _age(self, *, seen: set[int]) -> list[Track]:
        for track in self.tracks:
            if id(track) not in seen:
                track.missed += 1
        ended = [track for track in self.tracks if track.missed > self.max_missed]
        self.tracks = [track for track in self.tracks if track.missed <= self.max_missed]
        return ended

    def _start(self, box: Box) -> Track:
        self._last_id += 1
        track = Track(self._last_id, box)
        self.tracks.append(track)
        return track
