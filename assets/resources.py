from pathlib import Path

import dagster as dg

from pipeline.batch.ingest import data_dir


class Gongkai(dg.ConfigurableResource):
    """Where the data lives and where reports come from. No sources: the bundled synthetic sample."""

    data_dir: str = ""
    sources: list[str] = []
    progress: bool = False  # print each step's progress to stdout (the `gongkai run` display)
    # crawl and parse steps per run, each a group of shards: 1 crawls every host at once in one process;
    # on Celery, one per worker (or more) lets the workers share the night
    steps: int = 1

    @property
    def root(self) -> Path:
        return data_dir(self.data_dir or None)

    def say(self, context, message: str) -> None:
        context.log.info(message)
        if self.progress:
            handle = getattr(context, "op_execution_context", context).op_handle  # an asset's, or an op's in a graph
            print(f"  [{'/'.join(handle.path)}] {message}", flush=True)
