"""The outbox's kick never makes a write wait for the broker (core/workflow/outbox.py)."""

import socket
import threading

import pytest
from celery import Celery

from core.workflow import outbox
from tests.faults.stack import wait_for

pytestmark = pytest.mark.faults


@pytest.fixture
def silent_broker():
    """A "Redis" that accepts connections and never answers: a send to it blocks."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return  # closed at the end of the test

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0", accepted
    listener.close()
    for connection in accepted:
        connection.close()


def test_a_kick_returns_while_the_broker_does_not_answer(silent_broker):
    url, accepted = silent_broker
    broker = Celery("kick-test", broker=url)
    kicker = outbox._Kicker(lambda: broker.send_task(outbox.DELIVER_TASK, retry=False,
                                                     ignore_result=True))
    returned = threading.Event()

    def commit() -> None:  # what a commit does after it has committed
        kicker.kick()
        returned.set()

    threading.Thread(target=commit, daemon=True).start()
    wait_for(lambda: accepted, what="the send to reach the broker")
    wait_for(returned.is_set, what="kick() to return while the broker is silent")
    assert kicker.busy  # the send goes on, to a broker that never answers
    for _ in range(50):  # more commits meanwhile: none waits, they make one more send
        kicker.kick()
    assert kicker.busy
