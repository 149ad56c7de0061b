from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.features import ACTIVITY_DATES

APP = "../dashboard/app.py"
DATA = "../pages/data.py"


def data_page(query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(DATA).run()


def test_shell_and_data_page_render(demo_stores: Stores):
    at = data_page()
    assert not at.exception
    assert at.title[0].value == "Data"
    table = at.dataframe[0].value
    counts = dict(zip(table["table_name"], table["row_count"], strict=True))
    for name, rows in counts.items():
        assert rows == demo_stores.sources.row_count(name)
    loaded = table[table["row_count"] > 0]
    assert (loaded["source"].str.startswith("demo")).all()
    assert counts["account_keys"] == counts["accounts"]  # each demo account has a billing id
    history = at.dataframe[1].value
    assert set(history["table_name"]) == set(loaded["table_name"])
    assert history["row_count"].sum() == sum(counts.values())
    assert [m.label for m in at.sidebar.multiselect] == ["Segment", "Region", "CSM", "AM", "Plan"]
    # the page says the date the data is scored as of and which table set it
    said = [c.value for c in at.caption if c.value.startswith("Scored as of")]
    assert len(said) == 1 and any(f"{t}.{c}" in said[0] for t, c in ACTIVITY_DATES.items())


def test_filter_limits_counts_and_lands_in_the_url(demo_stores: Stores):
    at = data_page()
    at.multiselect(key="filter_segment").set_value(["SMB"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    smb = demo_stores.sources.scalar("SELECT count(*) FROM accounts WHERE segment = 'SMB'")
    assert table.loc[table["table_name"] == "accounts", "row_count"].item() == smb
    assert at.query_params["segment"] in ("SMB", ["SMB"])


def test_shared_link_opens_the_same_filtered_view(demo_stores: Stores):
    # unknown values are dropped, not errors
    at = data_page({"region": ["EMEA"], "csm": ["nobody-of-that-name"]})
    assert not at.exception
    assert at.multiselect(key="filter_region").value == ["EMEA"]
    assert at.multiselect(key="filter_csm").value == []
    table = at.dataframe[0].value
    emea = demo_stores.sources.scalar("SELECT count(*) FROM accounts WHERE region = 'EMEA'")
    assert table.loc[table["table_name"] == "accounts", "row_count"].item() == emea
