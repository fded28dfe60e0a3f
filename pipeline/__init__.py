"""The plain-Python pipeline, one package per stage in the order a report travels:

text (shared helpers) -> crawl (bytes in) | extract (bytes -> Document) -> parse (Document -> rows, rules)
-> load (facts, warehouse, metrics) -> analysis (compare, charts, export); synth generates reports; batch
ties crawl, extract, parse and load together. Imports run one way (see docs/architecture.md); nothing
here imports dagster or `assets`.
"""
