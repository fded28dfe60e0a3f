from pathlib import Path

import dagster as dg

from pipeline.batch.ingest import data_dir


class Gongkai(dg.ConfigurableResource):
    """Where the data lives and where reports come from. No sources: the bundled synthetic sample."""

    data_dir: str = ""
    sources: list[str] = []
    progress: bool = False  # print each step's progress to stdout (the `gongkai run` display)

    @property
    def root(self) -> Path:
        return data_dir(self.data_dir or None)

    def say(self, context: dg.AssetExecutionContext, message: str) -> None:
        context.log.info(message)
        if self.progress:
            print(f"  [{context.asset_key.to_user_string()}] {message}", flush=True)
