"""The feature query on a real Spark session in local mode (pyspark from PyPI, Java from
Debian's packages): the same cells as DuckDB, every as-of date. Marked ``spark``: about two
minutes on this machine, most of it the JVM starting."""

from __future__ import annotations

import os
import shutil

import pytest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.ingest.warehouse import WarehouseConfig, features_in_warehouse, spark_session
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores
from dashboard.store.features import features_at
from tests.warehouse_data import ANCHOR, AS_OF_DATES, SEED, differences

pytestmark = pytest.mark.spark

try:
    import pyspark
except ImportError:
    pyspark = None
if pyspark is None or shutil.which("java") is None:
    if os.environ.get("CI"):
        pytest.fail("pyspark or Java is missing in CI: .ci/run installs them", pytrace=False)
    pytest.skip("pyspark or a Java runtime is not installed", allow_module_level=True)

SPARK = WarehouseConfig(url="spark://local", schema="global_temp")


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory) -> Stores:
    """120 accounts (the JVM's 2 GB and the two shared cores set the size), each canonical
    table a global temporary view in the local Spark session."""
    stores = Stores.open(tmp_path_factory.mktemp("spark"))
    load_demo(stores.sources, DemoSpec(accounts=120, seed=SEED, anchor=ANCHOR))
    with stores.sources.writer() as writer:  # some renewals estimated: Spark's date text too
        writer.execute("UPDATE accounts SET renewal_date = NULL WHERE hash(account_id) % 9 = 0")
    spark = spark_session(SPARK.url)
    for table in SOURCE_TABLES:
        frame = stores.sources.query(f"SELECT * FROM {table}")
        spark.createDataFrame(frame.to_arrow()).createOrReplaceGlobalTempView(table)
    return stores


def test_spark_computes_the_features_cell_for_cell(portfolio: Stores):
    local = features_at(portfolio.sources, AS_OF_DATES).drop("arr")  # arr: arr_on's, joined here
    remote = features_in_warehouse(SPARK, AS_OF_DATES)
    assert local.height > 350 and remote.schema == local.schema
    assert differences(local, remote) == []


def test_spark_computes_the_same_cells_from_the_daily_roll_up(portfolio: Stores):
    """``usage_daily`` as a view of the events rolled up per account, user, feature and day
    (Spark's own GROUP BY, the day in the session's UTC): read alone, and beside the raw
    events it duplicates day for day (the raw events win each day), the same cells."""
    spark = spark_session(SPARK.url)
    spark.sql(
        "SELECT account_id, user_id, CAST(occurred_at AS DATE) AS day, feature,"
        " CAST(sum(quantity) AS BIGINT) AS events FROM global_temp.usage_events"
        " GROUP BY account_id, user_id, CAST(occurred_at AS DATE), feature"
    ).createOrReplaceGlobalTempView("usage_daily")
    local = features_at(portfolio.sources, AS_OF_DATES).drop("arr")
    for usage in ("daily", "both"):
        config = WarehouseConfig(url=SPARK.url, schema=SPARK.schema, usage=usage)
        assert differences(local, features_in_warehouse(config, AS_OF_DATES)) == [], usage
