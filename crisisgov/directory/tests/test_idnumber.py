"""GB 11643-1999 resident ID numbers: the ISO 7064 MOD 11-2 check character and the parts."""

import datetime as dt

import pytest

from crisisgov.directory import idnumber

# Published examples: the standard's own annex example, and the one quoted in most references.
PUBLISHED = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("number", PUBLISHED)
def test_published_examples_are_valid(number):
    assert idnumber.validate(number) == number


def test_a_lower_case_x_spaces_and_full_width_digits_are_normalised():
    assert idnumber.validate(" 11010519491231002x ") == "11010519491231002X"
    assert idnumber.validate("４４０５２４１８８００１０１００１４") == "440524188001010014"


def test_digits_of_other_scripts_are_refused():
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in "11010519491231002") + "X"
    with pytest.raises(idnumber.InvalidNationalId):
        idnumber.validate(arabic_indic)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check digit"),  # the X replaced by 1
        ("440524188001010015", "check digit"),
        ("11010519490231002X", "birth date"),  # 31 February
        ("1101051949123100", "17 digits"),
        ("11010519491231002Y", "17 digits"),
        ("110105194912310O2X", "17 digits"),  # letter O for zero, a common typing slip
        ("110105303001010015", "birth date"),  # born in 3030
    ],
)
def test_wrong_numbers_are_refused_with_the_reason(number, reason):
    with pytest.raises(idnumber.InvalidNationalId) as error:
        idnumber.validate(number, today=dt.date(2026, 11, 27))
    assert reason in str(error.value)


def test_every_single_digit_slip_is_caught():
    """MOD 11-2 catches any one wrong digit: no substitution keeps the check character."""
    number = "440524188001010014"
    for position in range(17):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            slipped = number[:position] + digit + number[position + 1 : 17]
            assert idnumber.check_character(slipped) != number[17]


def test_parts_and_construction():
    number = idnumber.make("420102", dt.date(1990, 3, 7), 123)
    assert number == "420102199003071232"  # weighted sum 208, mod 11 = 10, "10X98765432"[10] = "2"
    assert idnumber.birth_date(number) == dt.date(1990, 3, 7)
    assert (
        idnumber.sex(number),
        idnumber.sex(idnumber.make("420102", dt.date(1990, 3, 7), 124)),
    ) == ("M", "F")
