"""When an account's rights change, the requests that follow must see it.

`account_changed(session, user_ids)` is called by every write that changes what a user
may see or do (role, scope, activity, memberships, password, token epoch); it takes effect
once the write's transaction commits.

`forget` tells the account caches of this process at once (`on_forget` listeners) and
those of every other process (API workers) through Redis: they listen on CHANNEL
(core/users/cache.py `AccountSync`). When Redis cannot carry the news, the other processes
see the change when their short-lived entries expire (settings.account_cache_*).
"""

import logging
from collections.abc import Iterable

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.broker import redis_client

log = logging.getLogger(__name__)
CHANNEL = "gridgov:accounts-changed"


def account_changed(session: Session, user_ids: Iterable[int]) -> None:
    """Note users whose rights change in this transaction; forgotten from the account
    cache after it commits (nothing happens if it rolls back)."""
    pending = session.info.setdefault("accounts_changed", set())
    pending.update(user_ids)
    if not session.info.get("accounts_listening"):
        session.info["accounts_listening"] = True
        event.listen(session, "after_commit", _forget_after_commit)


def _forget_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    changed = session.info.pop("accounts_changed", set())
    if changed:
        forget(changed)


def forget(user_ids: Iterable[int]) -> None:
    """Drop cached account state, here and in every other process."""
    ids = {int(user_id) for user_id in user_ids}
    for listener in _LISTENERS:
        listener(ids)
    _broadcast(ids)


_LISTENERS: list = []


def on_forget(listener) -> None:
    """Register a cache to be told which accounts changed."""
    _LISTENERS.append(listener)


def _broadcast(ids: set[int]) -> None:
    if not ids:
        return
    try:
        redis_client().publish(CHANNEL, ",".join(map(str, sorted(ids))))
    except redis.RedisError as exc:
        log.warning("account change of %d user(s) not broadcast (Redis: %s): other processes "
                    "see it when their cached entries expire", len(ids), exc)


