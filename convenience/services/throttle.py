"""The public lookups (status by number and phone, the rating link) are counted per client
address and minute in Redis: guessing a phone number for someone else's application is
slow. The limit is data (`svc_setting` public.lookups_per_minute; 0: none). Redis down: the
lookup passes (fail open, as core/ratelimit.py does), a warning logged."""

import logging
import time

import redis
from fastapi import Request
from sqlalchemy.orm import Session

from convenience.services import limits
from core.errors import TooManyRequests
from core.throttle import client_address

log = logging.getLogger(__name__)
PREFIX = "gridgov:svc-public"


def client_of(request: Request) -> str:
    peer = request.client.host if request.client else None
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")) or None
    return client_address(peer, forwarded, request.app.state.settings.trusted_networks)


def check_lookup(request: Request, session: Session) -> None:
    limit = int(limits.value(session, "public.lookups_per_minute"))
    if limit <= 0:
        return
    now = time.time()
    key = f"{PREFIX}:{client_of(request)}:{int(now) // 60}"
    try:
        client = request.app.state.redis
        count = client.incr(key)
        if count == 1:
            client.expire(key, 120)
    except redis.RedisError as error:
        log.warning("public lookup throttle skipped (Redis: %s)", error)
        return
    if count > limit:
        raise TooManyRequests(f"at most {limit} lookups a minute from one address",
                              retry_after=60 - int(now) % 60, code="public_lookups_throttled")
