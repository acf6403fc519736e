"""Numbers, key encoding and item sizes of the DynamoDB service (unit and property-based tests)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import keys, numbers, size

decimals = st.builds(
    lambda sign, digits, exp: Decimal((sign, tuple(int(d) for d in digits), exp)),
    st.integers(0, 1),
    st.text("0123456789", min_size=1, max_size=38),
    st.integers(-130, 88),
).filter(lambda d: d.is_zero() or -130 <= d.adjusted() <= 125)


@given(decimals, decimals)
def test_number_encoding_preserves_order(a, b):
    ea, eb = keys.encode_number(a), keys.encode_number(b)
    assert (ea < eb) == (a < b) and (ea == eb) == (a == b)


@given(decimals)
def test_number_encoding_round_trips(a):
    assert keys.decode_number(keys.encode_number(a)) == a
    assert Decimal(numbers.canonical(numbers.check(a))) == a


@given(st.text(max_size=20), st.text(max_size=20))
def test_string_encoding_orders_by_utf8_bytes(a, b):
    assert (keys.encode({"S": a}) < keys.encode({"S": b})) == (a.encode() < b.encode())
    assert keys.decode("S", keys.encode({"S": a})) == {"S": a}


@given(st.binary(max_size=8))
def test_prefix_upper_bound(prefix):
    upper = keys.prefix_upper_bound(prefix)
    if upper is None:
        assert set(prefix) <= {0xFF}
    else:
        assert prefix < upper and not upper.startswith(prefix)
        assert prefix + b"\xff" * 4 < upper


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("1", "1"), ("-0.0", "0"), ("1.500", "1.5"), ("1e3", "1000"), ("-1E-130", "-0." + "0" * 129 + "1")],
)
def test_canonical_numbers(text, canonical):
    assert numbers.normalize_text(text) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The parameter cannot be converted to a numeric value: "),
        ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
        ("Infinity", "The parameter cannot be converted to a numeric value: Infinity"),
        (" 1", "The parameter cannot be converted to a numeric value:  1"),
        ("1_000", "The parameter cannot be converted to a numeric value: 1_000"),
        ("0x10", "The parameter cannot be converted to a numeric value: 0x10"),
        ("1" * 39, "Attempting to store more than 38 significant digits in a Number"),
        ("1E126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        ("1E-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ],
)
def test_number_errors(text, message):
    with pytest.raises(AWSError) as excinfo:
        numbers.parse(text)
    assert excinfo.value.code == "ValidationException" and excinfo.value.message == message


@pytest.mark.parametrize(("text", "canonical"), [("+1", "1"), ("007", "7"), ("1E+2", "100"), ("1.", "1"), (".5", "0.5"),
                                              ("-0", "0"), ("-1.50e-3", "-0.0015")])
def test_number_forms_accepted(text, canonical):
    assert numbers.canonical(numbers.parse(text)) == canonical


def test_item_size_follows_aws_rules():
    assert size.item_size({"ab": {"S": "héllo"}}) == 2 + 6
    assert size.item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 digits -> 3 + 1
    assert size.item_size({"n": {"N": "0"}}) == 1 + 1
    assert size.item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 4
    assert size.item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert size.item_size({"l": {"L": [{"S": "v"}, {"N": "1"}]}}) == 1 + 3 + (1 + 1) + (2 + 1)
    assert size.item_size({"s": {"SS": ["a", "bc"]}, "bs": {"BS": [b"\x00"]}}) == 1 + 3 + 2 + 1


plain_numbers = st.from_regex(r"-?[0-9]{1,45}(\.[0-9]{1,140})?", fullmatch=True)


@given(plain_numbers)
def test_plain_number_fast_path_agrees_with_decimal(text):
    try:
        expected = numbers.canonical(numbers.parse(text))
    except AWSError as exc:
        with pytest.raises(AWSError) as excinfo:
            numbers.normalize_text(text)
        assert excinfo.value.message == exc.message
        return
    assert numbers.normalize_text(text) == expected


def test_number_size_counts_significant_digits_on_each_side_of_the_point():
    cases = {"0": 1, "-0": 1, "1": 2, "12": 2, "123": 3, "1234": 3, "1" * 38: 20, "0042": 2, "100": 2, "1010": 3,
             "0.0000001": 2, "1E125": 2, "1E-100": 2, "1.5": 3, "15": 2, "1.200": 3, "1.234": 4, "3.14159": 5,
             "123456": 4, "100.5": 4, "0.15": 2, "-42": 3}
    for literal, expected in cases.items():
        assert size.number_size(numbers.normalize_text(literal)) == expected, literal
