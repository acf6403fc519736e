"""CloudWatch Contributor Insights settings of tables and their global secondary indexes:
UpdateContributorInsights, DescribeContributorInsights, ListContributorInsights.

The setting is kept on the table (TableDef.insights, by index name, "" for the table itself).
Like DynamoDB, an update answers ENABLING / DISABLING and the setting is ENABLED / DISABLED right
after; no rule is computed and nothing is published.
"""

from __future__ import annotations

import time

from cloudlet.services.dynamodb import storage
from cloudlet.services.dynamodb.errors import not_found, validation
from cloudlet.services.dynamodb.schema import TableDef
from cloudlet.services.dynamodb.tables import get_table, timestamp
from cloudlet.store import Store

DEFAULT_MODE = "ACCESSED_AND_THROTTLED_KEYS"
MAX_PAGE = 100


def update_contributor_insights(store: Store, ctx, params: dict) -> dict:
    index = params.get("IndexName")
    enable = params["ContributorInsightsAction"] == "ENABLE"
    with store.tx() as conn:
        table = get_table(conn, ctx, params["TableName"], for_update=True, control=True)
        _check_index(table, index)
        current = table.insights.get(index or "") or {}
        mode = params.get("ContributorInsightsMode") or current.get("mode") or DEFAULT_MODE
        table.insights[index or ""] = {"status": "ENABLED" if enable else "DISABLED", "mode": mode,
                                       "updated": time.time()}
        storage.save_table(conn, table)
    out = {"TableName": table.name, "ContributorInsightsStatus": "ENABLING" if enable else "DISABLING",
           "ContributorInsightsMode": mode}
    if index:
        out["IndexName"] = index
    return out


def describe_contributor_insights(store: Store, ctx, params: dict) -> dict:
    index = params.get("IndexName")
    with store.read() as conn:
        table = get_table(conn, ctx, params["TableName"], control=True)
    _check_index(table, index)
    setting = table.insights.get(index or "")
    out: dict = {"TableName": table.name, "ContributorInsightsStatus": setting["status"] if setting else "DISABLED"}
    if index:
        out["IndexName"] = index
    if setting:
        out["LastUpdateDateTime"] = timestamp(setting["updated"])
        out["ContributorInsightsMode"] = setting["mode"]
        if setting["status"] == "ENABLED":
            out["ContributorInsightsRuleList"] = _rules(table, index, setting["mode"])
    return out


def list_contributor_insights(store: Store, ctx, params: dict) -> dict:
    """With TableName: the table and each of its GSIs; without: every table or GSI with insights on."""
    limit = params.get("MaxResults") or MAX_PAGE
    token = params.get("NextToken")
    if token is not None and not token.isdigit():
        raise validation(f"Invalid NextToken: {token}")
    start = int(token or 0)
    summaries: list[dict] = []
    with store.read() as conn:
        if params.get("TableName"):
            table = get_table(conn, ctx, params["TableName"], control=True)
            names = [None] + [i.name for i in table.indexes if i.kind == "GSI"]
            summaries = [_summary(table, name) for name in names]
        else:
            after = None
            while True:
                batch = storage.list_table_names(conn, ctx.account_id, ctx.region, after, 100)
                for name in batch:
                    table = storage.load_table(conn, ctx.account_id, ctx.region, name)
                    if table is None:
                        continue
                    for index in [None] + [i.name for i in table.indexes if i.kind == "GSI"]:
                        summary = _summary(table, index)
                        if summary["ContributorInsightsStatus"] != "DISABLED":
                            summaries.append(summary)
                if len(batch) < 100:
                    break
                after = batch[-1]
    out: dict = {"ContributorInsightsSummaries": summaries[start:start + limit]}
    if start + limit < len(summaries):
        out["NextToken"] = str(start + limit)
    return out


def _check_index(table: TableDef, index: str | None) -> None:
    if index and (table.index(index) is None or table.index(index).kind != "GSI"):
        raise not_found(f"Requested resource not found: Index: {index} not found for table: {table.name}")


def _summary(table: TableDef, index: str | None) -> dict:
    setting = table.insights.get(index or "")
    out = {"TableName": table.name, "ContributorInsightsStatus": setting["status"] if setting else "DISABLED"}
    if index:
        out["IndexName"] = index
    if setting:
        out["ContributorInsightsMode"] = setting["mode"]
    return out


def _rules(table: TableDef, index: str | None, mode: str) -> list[str]:
    """The rule names DynamoDB creates: most accessed (C) and throttled (T) partition (PK) and sort
    (SK) keys; only the throttled ones in THROTTLED_KEYS mode."""
    key = table.index(index).key if index else table.key
    created = int(table.created * 1000)
    subject = f"{table.name}-{index}" if index else table.name
    kinds = ["PK"] + (["SK"] if key.sk else [])
    suffixes = ["T"] if mode == "THROTTLED_KEYS" else ["C", "T"]
    return [f"DynamoDBContributorInsights-{k}{s}-{subject}-{created}" for k in kinds for s in suffixes]
