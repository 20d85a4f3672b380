"""统一社会信用代码 (GB 32100) against published codes and every one-character change."""

import pytest

from core.uscc import (
    ALPHABET,
    expected_check,
    make_uscc,
    organisation_check_character,
    uscc_problem,
)

# The standard's own sample, and codes printed on public business licences.
PUBLISHED = ("91350100M000100Y43", "91110000802100433B", "91440300708461136T")


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert uscc_problem(code) is None
    assert uscc_problem(code.lower()) is None


@pytest.mark.parametrize("code", PUBLISHED)
def test_every_single_character_change_is_caught(code):
    for position in range(18):
        for char in ALPHABET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1:]
            assert uscc_problem(changed) is not None, changed


def test_the_message_names_the_expected_check_character():
    problem = uscc_problem("91350100M000100Y40")
    assert "'3'" in problem and "'0'" in problem
    assert expected_check("91350100M000100Y40") == "3"


def test_shape_errors_are_named():
    assert "18 characters" in uscc_problem("91350100M000100Y4")
    assert "'I'" in uscc_problem("91350100M000100I43")


def test_make_uscc_makes_valid_codes():
    organisation = "MA4L0001" + organisation_check_character("MA4L0001")
    code = make_uscc("91430202" + organisation)
    assert uscc_problem(code) is None
    assert uscc_problem(code[:-1] + ("0" if code[-1] != "0" else "1")) is not None
