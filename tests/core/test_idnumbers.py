"""core/idnumbers.py: GB 11643 citizen ID numbers and phone numbers, checked and masked.

The check character is recomputed here from the standard's own definition (ISO 7064
MOD 11-2 weights 2^(i-1) mod 11), independently of the module's tables.
"""

import pytest

from core.idnumbers import id_number_problem, mask_id_number, mask_phone, phone_problem


def check_character(first17: str) -> str:
    total = sum(int(digit) * pow(2, 17 - k, 11) for k, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def number(first17: str) -> str:
    return first17 + check_character(first17)


@pytest.mark.parametrize("value", [
    "11010519491231002X",       # GB 11643-1999's example
    "440524188001010014",       # and its other one
    "11010519491231002x",       # lower-case x is read as X
    " 11010519491231002X ",     # surrounding spaces are ignored
    number("43020219900307421"),
    number("43020220000229123"),  # 29 February of a leap year
])
def test_valid_numbers_pass(value):
    assert id_number_problem(value) is None


def test_every_check_value_is_computed_like_the_standard():
    for sequence in range(200):
        first17 = f"430202198801{1 + sequence % 28:02d}{sequence:03d}"
        assert id_number_problem(number(first17)) is None
        wrong = next(c for c in "0123456789X" if c != check_character(first17))
        assert id_number_problem(first17 + wrong) == "the ID number's check character is wrong"


@pytest.mark.parametrize(("value", "problem"), [
    ("11010519491231002", "17 digits and a check character"),
    ("110105491231002", "17 digits and a check character"),
    ("11010519491231002X1", "17 digits and a check character"),
    ("1101051949123100XX", "17 digits and a check character"),
    ("11010519491231002Y", "17 digits and a check character"),
    ("１１０１０５１９４９１２３１００２X", "17 digits and a check character"),  # full-width
    (number("11010519490230002"), "date of birth does not exist"),
    (number("11010519491301002"), "date of birth does not exist"),
    (number("11010519000229002"), "date of birth does not exist"),
    (number("11010519490100002"), "date of birth does not exist"),
    (number("11010500000101002"), "date of birth does not exist"),
    ("110105194912310021", "check character is wrong"),
])
def test_invalid_numbers_say_why(value, problem):
    assert problem in id_number_problem(value)


def test_an_id_number_masks_to_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number(None) is None


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "138****5678"),
    ("0731-22345678", "073******5678"),
    (None, None),
])
def test_a_phone_masks_to_its_ends(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "0731-22345678",
                                   "073122345678", "010-1234567", " 13812345678 "])
def test_valid_phones(phone):
    assert phone_problem(phone) is None


@pytest.mark.parametrize("phone", ["", "12812345678", "1381234567", "138123456789",
                                   "+8613812345678", "138-1234-5678", "0731 22345678"])
def test_invalid_phones(phone):
    assert phone_problem(phone) == "not a mainland mobile or landline number"
