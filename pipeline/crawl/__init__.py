"""Bytes in: the source registry, discovery of report links on listing pages, polite fetching, and the
content-addressed raw archive. Gives what it fetched to a `crawler.Sink`; never parses or loads."""
