"""Clustering of unnamed faces: how pure the groups are and how completely each person is gathered.

Every photo's face is clustered at once (`facerec.clustering.cluster_faces` for the method in use; scipy's
other linkages at other thresholds for comparison). Groups of one face are left apart, as the service does.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from bench.accuracy.data import Photo
from facerec.clustering import CLUSTER_THRESHOLD, cluster_faces
from facerec.models.faces import FloatArray

METHODS = ("single", "average", "complete")
THRESHOLDS = (0.20, 0.25, 0.30, 0.35, 0.40, 0.45)


@dataclass(frozen=True)
class ClusterQuality:
    method: str
    threshold: float
    clusters: int
    clustered: float  # share of faces in a group of two or more
    purity: float  # share of clustered faces that belong to their group's most common person
    completeness: float  # share of all faces in their person's largest group


def quality(
    method: str, threshold: float, groups: Sequence[Sequence[int]], identities: Sequence[str]
) -> ClusterQuality:
    clustered = sum(len(g) for g in groups)
    majority = sum(Counter(identities[i] for i in g).most_common(1)[0][1] for g in groups)
    largest: Counter[str] = Counter()
    for group in groups:
        for person, count in Counter(identities[i] for i in group).items():
            largest[person] = max(largest[person], count)
    return ClusterQuality(
        method,
        threshold,
        len(groups),
        clustered / len(identities),
        majority / max(1, clustered),
        sum(largest.values()) / len(identities),
    )


def scipy_groups(tree: np.typing.NDArray[np.float64], threshold: float) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(fcluster(tree, t=1.0 - threshold, criterion="distance")):
        groups.setdefault(int(label), []).append(index)
    return [g for g in groups.values() if len(g) > 1]


def cluster_study(photos: Sequence[Photo], vectors: dict[str, FloatArray]) -> list[ClusterQuality]:
    embedded = [p for p in photos if p.path in vectors]
    identities = [p.identity for p in embedded]
    embeddings = [vectors[p.path] for p in embedded]
    matrix = np.stack(embeddings).astype(np.float64)
    results = []
    for method in METHODS:
        tree = linkage(matrix, method=method, metric="cosine")
        for threshold in THRESHOLDS:
            if method == "average" and threshold == CLUSTER_THRESHOLD:
                continue
            results.append(quality(method, threshold, scipy_groups(tree, threshold), identities))
    chosen = quality("average", CLUSTER_THRESHOLD, cluster_faces(embeddings), identities)
    return sorted([*results, chosen], key=lambda q: (METHODS.index(q.method), q.threshold))
