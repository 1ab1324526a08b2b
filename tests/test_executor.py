from facerec.executor import BlockingRunner
from facerec.logs import current_request_id


async def test_jobs_see_the_callers_request_id() -> None:
    token = current_request_id.set("req-7")
    try:
        with BlockingRunner(1, max_waiting=0) as runner:
            assert await runner.run(current_request_id.get) == "req-7"
    finally:
        current_request_id.reset(token)
