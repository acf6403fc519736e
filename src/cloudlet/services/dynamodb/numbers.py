"""DynamoDB numbers: 38 significant digits, magnitude 1E-130 .. 9.99..E+125, canonical text form."""

from __future__ import annotations

import decimal
import re
from decimal import Decimal

from cloudlet.services.dynamodb import wording
from cloudlet.services.dynamodb.errors import validation

# Exact for sums and differences of in-range numbers (at most 256 digits), so the 38-digit check sees them.
CONTEXT = decimal.Context(prec=300, Emax=999999, Emin=-999999, traps=[decimal.InvalidOperation])
MAX_DIGITS = 38
MIN_EXP = -130  # smallest magnitude 1E-130
MAX_ADJUSTED = 125  # largest magnitude < 1E+126
_SYNTAX = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse(text: str) -> Decimal:
    """Parse an N value as DynamoDB does, raising its ValidationException for bad input."""
    if not isinstance(text, str):
        raise validation("The parameter cannot be converted to a numeric value")
    # DynamoDB's number syntax: no surrounding blanks, no digit separators, NaN or infinities.
    if not _SYNTAX.fullmatch(text):
        if not text and wording.is_older():
            raise validation("The parameter cannot be converted to a numeric value")
        raise validation(f"The parameter cannot be converted to a numeric value: {text}")
    _, _, exponent = text.lower().partition("e")
    if exponent:
        power = int(exponent)
        if not -(2**63) <= power < 2**63:  # DynamoDB reads the exponent as a 64-bit integer
            raise validation(f"The parameter cannot be converted to a numeric value: {text}")
        if abs(power) > _FAR:  # past any magnitude a request can bring back into range
            raise _overflow() if power > 0 else _underflow()
    return check(Decimal(text))  # exact: the precision check sees every digit


def _overflow():
    return validation("Number overflow. Attempting to store a number with magnitude larger than supported range")


def _underflow():
    return validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")


_FAR = 10**6


def check(value: Decimal) -> Decimal:
    """Check range and precision of a number (input or arithmetic result); returns it normalized.
    Zero is range-checked by the exponent it is written with."""
    if value.is_zero():
        if value.adjusted() > MAX_ADJUSTED:
            raise _overflow()
        if value.adjusted() < MIN_EXP:
            raise _underflow()
        return Decimal(0)
    sign, digits, exponent = value.as_tuple()
    end = len(digits)
    while digits[end - 1] == 0:  # strip trailing zeros exactly (no context rounding)
        end -= 1
    exponent += len(digits) - end
    value = Decimal((sign, digits[:end], exponent))
    if end > MAX_DIGITS:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    adjusted = value.adjusted()
    if adjusted > MAX_ADJUSTED:
        raise _overflow()
    if adjusted < MIN_EXP:
        raise _underflow()
    return value


def canonical(value: Decimal) -> str:
    """The text DynamoDB returns for a number: plain notation, no exponent, no trailing zeros."""
    if value.is_zero():
        return "0"
    return format(value.normalize(CONTEXT), "f")


_PLAIN = re.compile(r"(-?)(\d+)(?:\.(\d+))?")


def normalize_text(text: str) -> str:
    """Parse and re-render an N value in canonical form."""
    match = _PLAIN.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return canonical(parse(text))
    # Fast path for plain decimals (most numbers): the same checks on the digit strings.
    sign, whole, fraction = match.group(1), match.group(2).lstrip("0"), (match.group(3) or "").rstrip("0")
    if not whole and not fraction:
        return "0"
    if whole:
        significant = (whole + fraction) if fraction else whole.rstrip("0")
        adjusted = len(whole) - 1
    else:
        significant = fraction.lstrip("0")
        adjusted = len(significant) - len(fraction) - 1
    if len(significant) > MAX_DIGITS:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    if adjusted > MAX_ADJUSTED:
        raise validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if adjusted < MIN_EXP:
        raise validation(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        )
    return f"{sign}{whole or '0'}.{fraction}" if fraction else f"{sign}{whole}"


def add(a: Decimal, b: Decimal) -> Decimal:
    return check(CONTEXT.add(a, b))


def subtract(a: Decimal, b: Decimal) -> Decimal:
    return check(CONTEXT.subtract(a, b))

