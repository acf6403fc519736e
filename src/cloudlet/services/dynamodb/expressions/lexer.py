"""The tokenizer of DynamoDB expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cloudlet.services.dynamodb.errors import validation

KEYWORDS = frozenset(("AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"))

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<name>\#[A-Za-z0-9_]+)
  | (?P<value>:[A-Za-z0-9_]+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9]+)
  | (?P<op><>|<=|>=|[=<>()\[\],.+\-])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name | value | ident | keyword | number | op | eof
    text: str
    pos: int


class ExpressionError(Exception):
    """A problem in an expression; the parser prefixes 'Invalid <Kind>Expression: '."""


@lru_cache(maxsize=1024)
def tokenize(text: str) -> tuple[Token, ...]:
    """Split an expression into tokens; raises ExpressionError on a character that starts none.

    Cached: applications send the same expression texts over and over."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            # like the parser's errors: from the previous token to the end of the next character
            start = tokens[-1].pos if tokens else pos
            raise ExpressionError(f'Syntax error; token: "{text[pos]}", near: "{text[start:pos + 2]}"')
        kind = match.lastgroup
        if kind != "ws":
            token_text = match.group()
            if kind == "ident" and token_text.upper() in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, token_text, pos))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tuple(tokens)


def invalid(kind: str, detail: str):
    """The ValidationException AWS answers for a bad expression of the given kind."""
    return validation(f"Invalid {kind}Expression: {detail}")
