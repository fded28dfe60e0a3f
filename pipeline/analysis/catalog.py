"""The warehouse's tables, views and columns with what they mean (`gongkai tables`, the export manifest)."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.load.contract import TABLE_DESCRIPTIONS, column_meaning


def tables(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """name, kind (table or view), rows, description: every table and view analysts read."""
    names = con.execute("""SELECT table_name, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END
                           FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 2, 1""").fetchall()
    return pd.DataFrame([{"name": name, "kind": kind, "rows": con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0],
                          "description": TABLE_DESCRIPTIONS.get(name, "")} for name, kind in names],
                        columns=["name", "kind", "rows", "description"])


def columns(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """column, type, meaning of one table or view (empty when there is none of that name)."""
    rows = con.execute("""SELECT column_name, data_type FROM information_schema.columns
                          WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position""", [table]).fetchall()
    return pd.DataFrame([{"column": name, "type": kind, "meaning": column_meaning(table, name) or ""}
                         for name, kind in rows], columns=["column", "type", "meaning"])
