"""The stream's person search, over the service."""

import uuid

from facerec.matching import Verdict
from facerec.models.faces import FloatArray
from facerec.models.thresholds import Threshold
from facerec.service import FaceService, ThresholdChoice
from facerec.stream.identity import Person, Recognition

# Until persons are stored (issue 8), a person is what the search verdicts already call one identity:
# the case-folded display name. Its id is derived from that name.
PERSON_NAMESPACE = uuid.UUID("6f0b7c1e-2f55-4b6e-9d7a-3c0e8f1a2b44")


class ServicePersonSearch:
    """`PersonSearch` over `FaceService`: the top match when the verdict is a match, nobody when unknown,
    no answer when ambiguous."""

    def __init__(self, service: FaceService) -> None:
        self._service = service

    async def identify(
        self, collection: str, embedding: FloatArray, *, threshold: ThresholdChoice
    ) -> Recognition | None:
        cutoff = Threshold.choose(self._service.operating_points, threshold)
        decision = await self._service.search_embedding(embedding, top_k=1, cutoff=cutoff)
        if decision.verdict is Verdict.AMBIGUOUS:
            return None
        if decision.verdict is Verdict.UNKNOWN:
            return Recognition(None, None)
        top = decision.matches[0]
        person_id = uuid.uuid5(PERSON_NAMESPACE, top.display_name.casefold())
        return Recognition(Person(person_id, top.display_name), top.score)
