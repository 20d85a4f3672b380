"""What the concurrency tests share: requests sent really at once against the live server
(its own sessions, committed data), and the check that copies of one queued submission
(a phone resending under one Idempotency-Key while its first request still runs) are
stored once and answered alike."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

CONCURRENT = 8


def all_at_once(send: Callable, times: int = CONCURRENT) -> list:
    """`send()` run `times` times in as many threads; the answers in the calls' order."""
    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(lambda _: send(), range(times)))


def post_copies(base_url: str, path: str, body: dict, headers: dict) -> list[httpx.Response]:
    """CONCURRENT copies of one POST at once (the headers carry the Idempotency-Key)."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        return all_at_once(lambda: client.post(path, json=body, headers=headers))


def assert_stored_once(answers: list[httpx.Response], field: str = "id") -> None:
    """Every copy is answered 201 with the same record (`field`); all but one are replays."""
    assert [a.status_code for a in answers] == [201] * len(answers), answers[0].text
    assert len({a.json()[field] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true"
               for a in answers) == len(answers) - 1
