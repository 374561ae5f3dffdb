"""The unified social credit code of a company or organisation (GB 32100-2015).

18 characters: registration authority (1), organisation type (1), administrative division
code (6 digits), organisation code (9), and a check character. The alphabet has 31
characters (digits and capitals without I, O, S, V, Z); the check character is
31 - (sum of value x weight mod 31), with 31 written as 0.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUES = {char: value for value, char in enumerate(ALPHABET)}


class CreditCodeError(ValueError):
    pass


def check_character(first17: str) -> str:
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """The code in capitals, or CreditCodeError saying what is wrong with it."""
    code = code.strip().upper()
    if len(code) != 18:
        raise CreditCodeError(f"a unified social credit code has 18 characters, not {len(code)}")
    bad = sorted({char for char in code if char not in VALUES})
    if bad:
        raise CreditCodeError(f"characters not allowed in a credit code: {''.join(bad)}")
    if not code[2:8].isdigit():
        raise CreditCodeError("characters 3-8 must be the administrative division code (digits)")
    if check_character(code[:17]) != code[17]:
        raise CreditCodeError("the check character does not match (GB 32100)")
    return code


def make(first17: str) -> str:
    """A valid code from its first 17 characters (tests and the demo)."""
    return first17 + check_character(first17)
