"""The one Dagster instance that `gongkai run`, `gongkai ui` and `dagster dev` share.

DAGSTER_HOME is Dagster's own rule: when it is set, that instance is used. Otherwise it is
DATA_DIR/dagster, beside the warehouse it describes. Either way the instance is configured by the
project's dagster.yaml (written into DAGSTER_HOME when that has none of its own), which sets no storage
paths: runs, events and logs stay in Dagster's default layout under DAGSTER_HOME."""

import os
from pathlib import Path

import dagster as dg

PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "dagster.yaml"


def dagster_home(root: Path) -> Path:
    given = os.environ.get("DAGSTER_HOME")
    home = Path(given).expanduser() if given else root / "dagster"
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if PROJECT_CONFIG.exists() and (not config.exists() or (
            not given and config.read_bytes() != PROJECT_CONFIG.read_bytes())):
        config.write_bytes(PROJECT_CONFIG.read_bytes())  # ours follows the project's; an operator's is theirs
    return home


def instance_at(root: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(dagster_home(root)))
