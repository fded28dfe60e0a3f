"""Parsed reports -> the DuckDB warehouse of SCHEMA.md: fact frames, agency identity, Parquet staging, DDL
and transactional loads, publishing the analysts' copy, derived tables (yoy_metrics, cross-year checks)
and the checks the Dagster assets emit."""
