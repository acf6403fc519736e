"""Who may call a function URL: the function's resource policy read as Lambda reads it for URLs.

Function URLs created since October 2025 need both `lambda:InvokeFunctionUrl` and
`lambda:InvokeFunction`, so a caller passes when statements of the URL's policy (the alias's, or
the unqualified function's) allow each action to it. A statement applies when its Principal is
`*` (or `{"AWS": "*"}`) or names the caller (its ARN, its account or the account's root), its
Action is the action (or `lambda:*`, `*`), and every condition holds for the request's keys
`lambda:FunctionUrlAuthType` and `lambda:InvokedViaFunctionUrl` (`StringEquals`, `StringLike`,
`Bool`; a condition on any other key does not hold, as such a key is absent from a URL request).
A caller of the function's own account needs no statement for an AWS_IAM URL (there are no
identity policies to consult, so a signed caller of the account is allowed).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

ACTIONS = ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")


def may_invoke(statements: list[dict], auth_type: str, principals: set[str] | None = None) -> bool:
    """Whether the statements allow a URL call of `auth_type` by `principals` (None: anonymous)."""
    context = {"lambda:functionurlauthtype": auth_type, "lambda:invokedviafunctionurl": "true"}
    who = principals or set()
    return all(any(_applies(s, action, who, context) for s in statements) for action in ACTIONS)


def _applies(statement: dict, action: str, principals: set[str], context: dict[str, str]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if not _principal_matches(statement.get("Principal"), principals):
        return False
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else (actions or [])
    if not any(a.lower() in (action.lower(), "lambda:*", "*") for a in actions):
        return False
    return all(_holds(op, key, value, context)
               for op, entries in (statement.get("Condition") or {}).items() for key, value in entries.items())


def _principal_matches(principal, principals: set[str]) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        named = principal.get("AWS")
        named = [named] if isinstance(named, str) else (named or [])
        return any(n == "*" or n in principals for n in named)
    return False


def _holds(op: str, key: str, value, context: dict[str, str]) -> bool:
    actual = context.get(key.lower())
    if actual is None:
        return False
    values = [value] if isinstance(value, str | bool) else list(value)
    if op == "StringEquals":
        return any(actual == str(v) for v in values)
    if op == "StringLike":
        return any(fnmatchcase(actual, str(v)) for v in values)
    if op == "Bool":
        return any(actual == str(v).lower() for v in values)
    return False
