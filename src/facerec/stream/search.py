"""The stream's person search, over the service."""

from facerec.matching import Verdict
from facerec.models.faces import FloatArray
from facerec.models.thresholds import Threshold
from facerec.service import FaceService, ThresholdChoice
from facerec.stream.identity import Person, Recognition


class ServicePersonSearch:
    """`PersonSearch` over `FaceService`'s person search: the top person when the verdict is a match,
    nobody when unknown, no answer when ambiguous."""

    def __init__(self, service: FaceService) -> None:
        self._service = service

    async def identify(
        self, collection: str, embedding: FloatArray, *, threshold: ThresholdChoice
    ) -> Recognition | None:
        cutoff = Threshold.choose(self._service.operating_points, threshold)
        decision = await self._service.search_persons_by_embedding(
            collection, embedding, top_k=1, cutoff=cutoff
        )
        if decision.verdict is Verdict.AMBIGUOUS:
            return None
        if decision.verdict is Verdict.UNKNOWN:
            return Recognition(None, None)
        top = decision.matches[0]
        return Recognition(Person(top.person_id, top.display_name), top.score)
