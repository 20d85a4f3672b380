"""core/security.py: argon2 passwords, the password policy, access tokens (HS256 only,
with the account's token epoch), and the signing key's check at start-up.

Pure functions, no database: the API-level refusals are in tests/api/test_auth.py and
tests/api/test_account_checks.py.
"""

import base64
import json
import time
import warnings
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from core import security
from core.errors import InvalidInput, Unauthorized
from core.security import (
    MIN_PASSWORD_LENGTH,
    Principal,
    UnsafeSecretKey,
    check_password,
    create_access_token,
    hash_password,
    new_refresh_token,
    password_problem,
    read_access_claims,
    read_access_token,
    require_safe_secret,
    secret_key_problem,
    verify_password,
)
from core.settings import DEVELOPMENT_SECRET_KEY, Settings
from core.users.enums import Role

SECRET = "unit-test-secret-0123456789-0123456789-0123456789"
PRINCIPAL = Principal(17, "li_na", Role.village_staff, "430202001001")


# --- passwords --------------------------------------------------------------------------

def test_a_hash_is_argon2id_salted_and_verifies():
    first, second = hash_password("Field-Patrol-2026!"), hash_password("Field-Patrol-2026!")
    assert first.startswith("$argon2id$") and first != second  # salted
    assert verify_password("Field-Patrol-2026!", first)
    assert not verify_password("Field-Patrol-2026?", first)
    assert not verify_password("", first)


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$garbage"])
def test_no_or_a_broken_hash_never_verifies(stored):
    """An empty stored hash, as None, is checked against the dummy hash for the time it
    takes and refused: the dummy's own password "not-a-real-password" does not log in."""
    assert verify_password("not-a-real-password", stored) is False
    assert verify_password("anything", stored) is False


def test_an_unknown_user_costs_as_much_as_a_wrong_password():
    """verify_password(None) checks against a dummy hash, so login time does not tell
    whether the user name exists (rough bound: within a factor of three)."""
    stored = hash_password("Field-Patrol-2026!")

    def best_of(password_hash) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            verify_password("Field-Patrol-2025?", password_hash)
            times.append(time.perf_counter() - start)
        return min(times)

    known, unknown = best_of(stored), best_of(None)
    assert unknown > known / 3 and known > unknown / 3


@pytest.mark.parametrize(("password", "problem"), [
    ("Ab1!", f"at least {MIN_PASSWORD_LENGTH} characters"),
    ("Ab1!Ab1!A", f"at least {MIN_PASSWORD_LENGTH} characters"),
    ("abcdefghijkl", "three of"),
    ("abcdefgh1234", "three of"),
    ("ABCDEFGH!!!!", "three of"),
    ("Xli_na-20261", "must not contain the user name"),
    ("XLI_NA-20261", "must not contain the user name"),
    ("Password-2026", "too common"),
    ("My-iloveyou-7", "too common"),
    ("GridGov-2026!", "too common"),
])
def test_the_password_policy_says_what_is_wrong(password, problem):
    assert problem in password_problem(password, username="li_na")
    with pytest.raises(InvalidInput, match=problem):
        check_password(password, username="li_na")


@pytest.mark.parametrize("password", ["Field-Patrol-2026!", "abcdefgh12!!", "ABCDEFGH12!!",
                                      "Abcdefghij12", "长城-Wall-2026"])
def test_a_good_password_passes(password):
    assert password_problem(password, username="li_na") is None
    check_password(password, username="li_na")


def test_an_empty_user_name_is_not_in_every_password():
    assert password_problem("Field-Patrol-2026!", username="") is None


# --- access tokens ----------------------------------------------------------------------

def test_a_token_round_trips_to_its_principal():
    token = create_access_token(PRINCIPAL, secret=SECRET, minutes=15)
    assert read_access_token(token, secret=SECRET) == PRINCIPAL
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims["typ"] == "access" and claims["exp"] - claims["iat"] == 15 * 60
    assert claims["sub"] == "17" and claims["jti"]


def test_a_token_carries_the_account_epoch_it_was_issued_in():
    token = create_access_token(PRINCIPAL, secret=SECRET, minutes=15, epoch=3)
    claims = read_access_claims(token, secret=SECRET)
    assert (claims.user_id, claims.epoch, claims.principal) == (17, 3, PRINCIPAL)
    unrevoked = create_access_token(PRINCIPAL, secret=SECRET, minutes=15)
    assert read_access_claims(unrevoked, secret=SECRET).epoch == 0


def test_two_tokens_of_one_principal_differ():
    assert create_access_token(PRINCIPAL, secret=SECRET, minutes=15) != create_access_token(
        PRINCIPAL, secret=SECRET, minutes=15)


def _claims(**changes) -> dict:
    now = datetime.now(UTC)
    claims = {"sub": "17", "name": "li_na", "role": "village_staff", "scope": "430202001001",
              "typ": "access", "ep": 0, "iat": now, "exp": now + timedelta(minutes=5)}
    return {k: v for k, v in (claims | changes).items() if v is not None}


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _sign(claims: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm=algorithm)


BAD_TOKENS = {
    "expired": lambda: _sign(_claims(iat=datetime.now(UTC) - timedelta(hours=1),
                                     exp=datetime.now(UTC) - timedelta(seconds=1))),
    "other key": lambda: _sign(_claims(), "another-secret-0123456789-0123456789-01234"),
    "HS384": lambda: _sign(_claims(), algorithm="HS384"),
    "HS512": lambda: _sign(_claims(), algorithm="HS512"),
    "alg none": lambda: jwt.encode(_claims(), None, algorithm="none"),
    "alg none, hand-built": lambda: (f"{_b64({'alg': 'none', 'typ': 'JWT'})}."
                                     f"{_b64(_claims(iat=1, exp=4102444800))}."),
    "typ refresh": lambda: _sign(_claims(typ="refresh")),
    "no exp": lambda: _sign(_claims(exp=None)),
    "no iat": lambda: _sign(_claims(iat=None)),
    "no sub": lambda: _sign(_claims(sub=None)),
    "no typ": lambda: _sign(_claims(typ=None)),
    "no name": lambda: _sign(_claims(name=None)),
    "no role": lambda: _sign(_claims(role=None)),
    "no scope": lambda: _sign(_claims(scope=None)),
    "no epoch": lambda: _sign(_claims(ep=None)),
    "epoch as text": lambda: _sign(_claims(ep="0")),
    "epoch true": lambda: _sign(_claims(ep=True)),
    "unknown role": lambda: _sign(_claims(role="emperor")),
    "sub not a number": lambda: _sign(_claims(sub="li_na")),
    "empty": lambda: "",
    "garbage": lambda: "a.b.c",
}


@pytest.mark.parametrize("make", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
def test_every_bad_token_is_the_same_unauthorized(make):
    with pytest.raises(Unauthorized) as refused:
        read_access_token(make(), secret=SECRET)
    assert refused.value.detail == "the token is invalid or has expired"


def test_the_good_token_of_the_same_claims_passes():
    assert read_access_token(_sign(_claims()), secret=SECRET) == PRINCIPAL


def test_a_verified_token_is_remembered_and_not_verified_again(monkeypatch):
    token = _sign(_claims())
    read_access_claims(token, secret=SECRET)
    decodes = []
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decodes.append(a) or {})
    assert read_access_token(token, secret=SECRET) == PRINCIPAL
    assert decodes == []  # served from memory: the broken decode was never called


def test_a_remembered_token_is_verified_again_once_it_has_expired():
    # Remembered with an expiry in the past (as it would be a second after its `exp`):
    # the remembered claims are not served, the token is verified again, and refused.
    token = _sign(_claims(iat=datetime.now(UTC) - timedelta(hours=1),
                          exp=datetime.now(UTC) - timedelta(seconds=1)))
    remembered = read_access_claims(_sign(_claims()), secret=SECRET)
    security._VERIFIED[(token, SECRET)] = (time.time() - 1, remembered)
    with pytest.raises(Unauthorized):
        read_access_claims(token, secret=SECRET)


def test_a_token_remembered_under_one_key_is_refused_under_another():
    token = _sign(_claims())
    read_access_claims(token, secret=SECRET)
    with pytest.raises(Unauthorized):
        read_access_claims(token, secret="another-secret-0123456789-0123456789-01234")


def test_a_refused_token_is_not_remembered():
    token = BAD_TOKENS["other key"]()
    with pytest.raises(Unauthorized):
        read_access_claims(token, secret=SECRET)
    assert (token, SECRET) not in security._VERIFIED


def test_refresh_tokens_are_long_random_and_opaque():
    tokens = {new_refresh_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) >= 43 and "." not in token for token in tokens)


# --- the signing key ----------------------------------------------------------------------

def _settings(environment: str, key: str = DEVELOPMENT_SECRET_KEY) -> Settings:
    return Settings(environment=environment, secret_key=key)


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_tests_may_use_the_default_key(environment):
    assert secret_key_problem(_settings(environment)) is None
    require_safe_secret(_settings(environment), who="the API")


def test_production_is_the_default_environment():
    assert Settings.model_fields["environment"].default == "production"


def test_production_refuses_the_default_key_and_says_why():
    with pytest.raises(UnsafeSecretKey) as refused:
        require_safe_secret(_settings("production"), who="the API")
    message = str(refused.value)
    assert message.startswith("the API refuses to start in production")
    assert "SECRET_KEY is the development default" in message
    assert "at least 32 bytes" in message and "ENVIRONMENT=development" in message


def test_production_refuses_a_key_shorter_than_32_bytes():
    assert secret_key_problem(_settings("production", "x" * 31)) == (
        "SECRET_KEY is shorter than 32 bytes")
    # Bytes, not characters: 11 Chinese characters are 33 bytes of UTF-8.
    assert secret_key_problem(_settings("production", "网格" * 5 + "网")) is None
    assert secret_key_problem(_settings("production", "k" * 32)) is None
