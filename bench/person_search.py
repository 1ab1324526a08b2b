"""Open-set search through the API: face search against person search on a labelled photo set.

`python -m bench.person_search ../shared/data/faces-celeba` enrols 4 photos of each of the first 100
people as persons of one collection, then searches with their other photos (genuine probes) and with every
photo of the people never enrolled (strangers), through both `POST /api/face/search` and
`POST /api/persons/search` of a real `facerec serve` on an embedded Postgres. Each probe is asked once per
route with threshold -1, so that the ranking is whole; the verdict at the default threshold is then decided
by the service's own rule (`facerec.matching.decide_search`) from the top match and the runner-up it gave.
"""

import argparse
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.accuracy.data import Photo, read_photos
from bench.harness import machine, running_service
from facerec.matching import Verdict, decide_search
from facerec.models.packs import PACKS

ENROLLED_PEOPLE = 100
PHOTOS_ENROLLED = 4
COLLECTION = "bench"


@dataclass(frozen=True)
class Candidate:
    """A match as either route returns it: enough for `decide_search`."""

    person_id: UUID
    score: float


@dataclass(frozen=True)
class Outcome:
    genuine: bool  # the probe's person is enrolled
    top_is_right: bool
    verdict: Verdict
    verdict_is_right: bool  # `match` on the right person


@dataclass
class Tally:
    outcomes: list[Outcome]

    def rate(self, genuine: bool, keep: str) -> float:
        chosen = [outcome for outcome in self.outcomes if outcome.genuine == genuine]
        if not chosen:
            return float("nan")
        if keep == "rank1":
            return sum(outcome.top_is_right for outcome in chosen) / len(chosen)
        if keep == "correct_match":
            return sum(outcome.verdict_is_right for outcome in chosen) / len(chosen)
        return sum(outcome.verdict is Verdict.MATCH for outcome in chosen) / len(chosen)


def split(photos: list[Photo]) -> tuple[dict[str, list[Photo]], list[Photo]]:
    """The enrolled people's photos by identity (first PHOTOS_ENROLLED enrolled, the rest probes), and
    every photo of the others."""
    by_identity: dict[str, list[Photo]] = defaultdict(list)
    for photo in photos:
        by_identity[photo.identity].append(photo)
    identities = sorted(by_identity)
    enrolled = {identity: by_identity[identity] for identity in identities[:ENROLLED_PEOPLE]}
    strangers = [photo for identity in identities[ENROLLED_PEOPLE:] for photo in by_identity[identity]]
    return enrolled, strangers


def enrol(http: httpx.Client, dataset: Path, enrolled: dict[str, list[Photo]]) -> tuple[dict[str, UUID], int]:
    """identity -> person id, and how many photos were refused."""
    persons, refused = {}, 0
    for identity, photos in enrolled.items():
        person = http.post("/api/persons", params={"collection": COLLECTION}, json={"displayName": identity})
        person.raise_for_status()
        persons[identity] = UUID(person.json()["id"])
        for photo in photos[:PHOTOS_ENROLLED]:
            added = http.post(
                f"/api/persons/{persons[identity]}/faces",
                params={"collection": COLLECTION},
                files={"image": (photo.path, (dataset / photo.path).read_bytes(), "image/jpeg")},
                data={"qualityCheck": "false", "mostProminent": "true"},
            )
            refused += added.status_code != 201
    return persons, refused


def probe(http: httpx.Client, route: str, data: bytes) -> list[Candidate] | None:
    response = http.post(
        route,
        params={"collection": COLLECTION},
        files={"image": ("probe.jpg", data, "image/jpeg")},
        data={"topK": "1", "threshold": "-1"},
    )
    if response.status_code != 200:
        return None
    body: dict[str, Any] = response.json()
    shown = body["matches"][:1] + ([body["runnerUp"]] if body["runnerUp"] else [])
    return [Candidate(UUID(match["personId"]), match["score"]) for match in shown]


def outcome(candidates: list[Candidate], truth: UUID | None, threshold: float, margin: float) -> Outcome:
    decision = decide_search(candidates, top_k=1, threshold=threshold, margin=margin)
    top_is_right = bool(candidates) and candidates[0].person_id == truth
    verdict_is_right = decision.verdict is Verdict.MATCH and top_is_right
    return Outcome(truth is not None, top_is_right, decision.verdict, verdict_is_right)


def run(dataset: Path) -> str:
    enrolled, strangers = split(read_photos(dataset))
    points = PACKS["buffalo_s"].operating_points
    tallies = {route: Tally([]) for route in ("/api/face/search", "/api/persons/search")}
    unreadable = 0
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as folder,
        running_service(Path(folder)) as service,
        httpx.Client(base_url=service.base_url, timeout=120) as http,
    ):
        http.post("/api/collections", json={"name": COLLECTION}).raise_for_status()
        persons, refused = enrol(http, dataset, enrolled)
        probes: list[tuple[Photo, UUID | None]] = [
            (photo, persons[identity])
            for identity, photos in enrolled.items()
            for photo in photos[PHOTOS_ENROLLED:]
        ]
        probes += [(photo, None) for photo in strangers]
        for photo, truth in probes:
            data = (dataset / photo.path).read_bytes()
            for route, tally in tallies.items():
                candidates = probe(http, route, data)
                if candidates is None:
                    unreadable += 1
                    continue
                tally.outcomes.append(outcome(candidates, truth, points.default, points.ambiguity_margin))
    seconds = time.perf_counter() - started
    return report(tallies, refused, unreadable // len(tallies), len(probes), seconds)


def report(tallies: dict[str, Tally], refused: int, unreadable: int, probes: int, seconds: float) -> str:
    points = PACKS["buffalo_s"].operating_points
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d} on {machine()}, in {seconds:.0f} s: {ENROLLED_PEOPLE} people "
        f"enrolled with {PHOTOS_ENROLLED} photos each ({refused} photos refused), {probes} probes "
        f"({unreadable} without a usable face); threshold {points.default} (`default`), margin "
        f"{points.ambiguity_margin}.",
        "",
        "| route | rank-1 (enrolled) | correct `match` (enrolled) | `match` for strangers |",
        "| --- | --- | --- | --- |",
    ]
    for route, tally in tallies.items():
        lines.append(
            f"| `{route}` | {tally.rate(True, 'rank1'):.1%} | {tally.rate(True, 'correct_match'):.1%} "
            f"| {tally.rate(False, 'match'):.2%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a folder with labels.csv and the photos")
    print(run(parser.parse_args().dataset))


if __name__ == "__main__":
    main()
