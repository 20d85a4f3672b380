"""Schemathesis over the whole OpenAPI (issue 11 §6): every operation, as the demo city's
admin and as its grid worker, with a bounded number of generated requests: no answer is a
server error, and every answer matches the schema the OpenAPI declares for its status.

The cases of an operation: Schemathesis' coverage cases (boundary values, wrong types,
missing and unknown fields; valid and invalid), at most COVERAGE of them spread over the
list (and one unsupported method); EXAMPLES drawn by Hypothesis in each of the positive and
negative modes, derandomized so that every run sends the same requests (a red run is
reproducible, a green one does not turn red by luck); and the first valid case with every
integer past 64 bits and every string ending in NUL, which generators seldom draw.
FUZZ_SCALE multiplies the counts: `FUZZ_SCALE=10 pytest -m fuzz` is the long run; the
ordinary suite runs the default size (about 15 cases per operation and caller).

The requests go to the module's app on the test's rolled-back session, each in a savepoint
of its own that a failed request rolls back (as production's session_scope rolls back its
transaction): nothing the fuzzer sends is kept, and one refused request does not leave the
session broken for the next. (Rate limits are off in the suite: tests/conftest.py.)

A failure is collected, not raised, so that one run lists every operation, role, check and
request that failed (one example each, with the count of others like it).
"""

import os
import warnings
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.modes import GenerationMode
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from core.settings import Settings
from tests.conftest import bearer

pytestmark = pytest.mark.fuzz

SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
COVERAGE = 8 * SCALE  # coverage cases per operation (of ~10-170)
EXAMPLES = 2 * SCALE  # Hypothesis cases per operation and mode
CHECKS = [not_a_server_error, response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
BASE_URL = "http://testserver"


def _load_schema():
    """The app's OpenAPI document, read at collection time to parametrize (no database)."""
    app = create_app(Settings())
    try:
        return schemathesis.openapi.from_dict(app.openapi())
    finally:
        app.state.engine.dispose()


SCHEMA = _load_schema()
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}


# --- the cases ------------------------------------------------------------------------------

def _spread(items: list, most: int) -> list:
    """At most `most` items, evenly spaced over the list (its first and last included)."""
    if len(items) <= most:
        return items
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]


def coverage_cases(operation) -> list:
    generator = CoverageGenerator(
        operation=operation, generation_modes=list(MODES),
        generation_config=SCHEMA.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None, override=Override(), feedback=FeedbackSources())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = list(generator)
    # A case per unsupported method (405) is a fifth of the list: one of them is enough.
    other_methods = [case for case in cases if case.method.upper() != operation.method.upper()]
    own = [case for case in cases if case.method.upper() == operation.method.upper()]
    return _spread(own, COVERAGE) + other_methods[:1]


def drawn_cases(operation, mode: GenerationMode) -> list:
    """EXAMPLES cases in a mode, the same every run (derandomized, no example database)."""
    cases = []

    @hypothesis.settings(max_examples=EXAMPLES, derandomize=True, database=None,
                         deadline=None, phases=[Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def draw(case):
        cases.append(case)

    # Unsatisfiable: nothing valid (or invalid) to send in this mode.
    with warnings.catch_warnings(), suppress(hypothesis.errors.Unsatisfiable):
        warnings.simplefilter("ignore")
        draw()
    return cases


HUGE = 2**64 + 7  # past every integer column (bigint)


def hostile_cases(operation, valid: list) -> list:
    """The first valid case twice more: every integer of its path, query and body (top
    level) past 64 bits, and every string of its query and body ending in a NUL character
    (a URL path cannot carry one). Generators seldom draw either; both were 500s (issue 11
    §2)."""
    if not valid:
        return []
    base = valid[0]

    def variant(change, *, path: bool = True):
        fields = {"path_parameters": dict(base.path_parameters or {}),
                  "query": dict(base.query or {})}
        body = base.body
        if isinstance(body, dict):
            body = dict(body)
            fields["body"] = body
        changed = False
        for values in (fields["path_parameters"] if path else None, fields["query"], body):
            if not isinstance(values, dict):
                continue
            for name, value in values.items():
                new = change(value)
                if new is not value:
                    values[name], changed = new, True
        if not changed:
            return None
        return operation.Case(method=base.method, headers=dict(base.headers or {}),
                              media_type=base.media_type, **fields)

    huge = variant(lambda v: HUGE if isinstance(v, int) and not isinstance(v, bool) else v)
    nul = variant(lambda v: f"{v}\x00" if isinstance(v, str) else v, path=False)
    return [case for case in (huge, nul) if case is not None]


def all_cases(operation) -> list:
    valid = drawn_cases(operation, GenerationMode.POSITIVE)
    return (coverage_cases(operation) + valid + drawn_cases(operation, GenerationMode.NEGATIVE)
            + hostile_cases(operation, valid))


# --- sending and checking -----------------------------------------------------------------

class Unsendable(Exception):
    """The case cannot be put on the wire (e.g. a header with characters HTTP refuses):
    the client's limit, not the server's answer."""


def send(client, case, headers: dict[str, str]):
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    request = {"headers": dict(kwargs.get("headers") or {}),
               "params": kwargs.get("params") or None}
    cookies = kwargs.get("cookies") or {}
    if cookies:
        request["headers"]["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, bytes | str):
        request["content"] = data
    elif data is not None:
        request["data"] = data
    if kwargs.get("files"):
        request["files"] = kwargs["files"]
    try:
        return client.request(kwargs["method"], kwargs["url"], **request)
    except (httpx.InvalidURL, UnicodeEncodeError, ValueError, TypeError) as exc:
        raise Unsendable(str(exc)) from exc


@dataclass
class Finding:
    role: str
    operation: str
    check: str
    status: int
    request: str
    detail: str
    count: int = 1

    def __str__(self) -> str:
        more = f" (and {self.count - 1} more like it)" if self.count > 1 else ""
        return (f"{self.role} {self.operation}: {self.check} -> {self.status}{more}\n"
                f"    request: {self.request}\n    answer: {self.detail}")


def _describe(response) -> str:
    request = response.request
    body = request.content[:200].decode("utf-8", "replace") if request.content else ""
    return f"{request.method} {request.url}" + (f" body={body!r}" if body else "")


def run(client, cases: list, *, role: str, operation, headers) -> tuple[int, list[Finding]]:
    """Send every case; the number answered and the findings, one per (check, status)."""
    findings: dict[tuple[str, int], Finding] = {}
    answered = 0
    for case in cases:
        try:
            response = send(client, case, headers)
        except Unsendable:
            continue
        answered += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (failure.title, response.status_code)
                if key in findings:
                    findings[key].count += 1
                    continue
                findings[key] = Finding(role, operation.label, failure.title,
                                        response.status_code, _describe(response),
                                        (failure.message or response.text)[:400])
    return answered, list(findings.values())


# --- the callers --------------------------------------------------------------------------

@pytest.fixture
def callers(settings, session: Session, demo_city) -> dict[str, dict[str, str]]:
    """The city's admin (the widest scope) and the demo grid worker (the narrowest)."""
    worker = session.execute(text("SELECT id, scope_code FROM app_user "
                                  "WHERE username = 'demo_grid_worker'")).one()
    return {"admin": bearer(settings),
            "grid_worker": bearer(settings, role="grid_worker", scope_code=worker.scope_code,
                                  user_id=worker.id, username="demo_grid_worker")}


@pytest.fixture
def fuzzed(app, anonymous, session: Session, settings) -> Iterator:
    """The client, its app serving each request in a savepoint of the test's session."""
    from core.deps import get_session

    def request_session():
        savepoint = session.begin_nested()
        try:
            yield session
        except BaseException as exc:
            if savepoint.is_active:
                savepoint.commit() if getattr(exc, "keep_writes", False) else savepoint.rollback()
            raise
        else:
            if savepoint.is_active:
                savepoint.commit()

    app.dependency_overrides[get_session] = request_session  # undone by `app`
    yield anonymous


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_error_and_every_answer_as_documented(label, fuzzed, callers):
    operation = OPERATIONS[label]
    cases = all_cases(operation)
    assert cases, f"no case generated for {label}"
    findings, answered = [], 0
    for role, headers in callers.items():
        sent, found = run(fuzzed, cases, role=role, operation=operation, headers=headers)
        answered += sent
        findings += found
    assert answered, f"no case of {label} could be sent"
    assert not findings, "\n".join(map(str, findings))
