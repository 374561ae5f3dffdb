"""The unified social credit code check (GB 32100-2015), without a database."""

import pytest

from crisisgov.citizen.approvals import creditcode

# Codes printed on real business licences and in the standard's own example.
REAL = ["91350100M000100Y43", "913101157178736560", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_pass(code):
    assert creditcode.validate(code.lower()) == code


def test_every_single_character_change_is_caught():
    code = REAL[0]
    for position in range(18):
        for char in creditcode.ALPHABET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1 :]
            if position in range(2, 8) and not char.isdigit():
                continue  # refused for a different reason, checked below
            with pytest.raises(creditcode.CreditCodeError):
                creditcode.validate(changed)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9135010", "18 characters, not 7"),
        ("91350100M000100YO3", "characters not allowed in a credit code: O"),
        ("9135A100M000100Y43", "characters 3-8 must be the administrative division code"),
        ("91350100M000100Y44", "the check character does not match"),
    ],
)
def test_refusals_say_what_is_wrong(code, message):
    with pytest.raises(creditcode.CreditCodeError, match=message):
        creditcode.validate(code)
