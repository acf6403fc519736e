"""Table `lambda_function_urls` (its own migrations, owner "lambda-urls") and deleting its rows with
their function or alias, in the registry's transaction."""

from __future__ import annotations

MIGRATIONS = [
    """
    CREATE TABLE lambda_function_urls (
        url_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        function_name TEXT NOT NULL,
        qualifier TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE UNIQUE INDEX lambda_function_urls_target ON lambda_function_urls (account_id, region, function_name, qualifier)
    """,
]


def forget(conn, ref, qualifier: str | None = None) -> None:
    """Delete a function's URLs (all of them, or the one of an alias) inside the caller's transaction."""
    sql = "DELETE FROM lambda_function_urls WHERE account_id = ? AND region = ? AND function_name = ?"
    args: tuple = (ref.account_id, ref.region, ref.name)
    if qualifier is not None:
        sql, args = sql + " AND qualifier = ?", (*args, qualifier)
    conn.execute(sql, args)
