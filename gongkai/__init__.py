"""`gongkai`, the command line: above both the plain-Python pipeline and its Dagster wiring (`gongkai run`
starts the Dagster job). Takes arguments, calls `pipeline` and `assets`, prints."""
