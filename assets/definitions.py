"""The one Definitions object: `dagster dev` and `dagster definitions validate` load it from the root."""


import dagster as dg

from assets.documents import documents_archived, parsed_reports, raw_documents
from assets.metrics import yoy_metrics
from assets.resources import Gongkai
from assets.schedules import nightly, nightly_job
from assets.tables import FACT_ASSETS, reports

defs = dg.Definitions(
    assets=[raw_documents, parsed_reports, reports, *FACT_ASSETS, yoy_metrics],
    asset_checks=[documents_archived],
    jobs=[nightly_job],
    schedules=[nightly],
    resources={"gongkai": Gongkai()},
)
