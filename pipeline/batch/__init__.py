"""The batch runner above the stages: one report through extract, parse and load (`report`), and batches
of files and crawls into the raw archive and the warehouse (`ingest`). The only place that ties crawl,
extract, parse and load together."""
