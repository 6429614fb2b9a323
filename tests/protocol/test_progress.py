"""The progress indicator of long cells: a cell that runs past a second
shows a display_data with a transient display_id (elapsed time, or a bar
when the work has a known size), updated in place with
update_display_data and cleared by a last update to empty data before
the cell's result; silent requests and clients that do not allow stdin
(nbclient, papermill) get none, and short cells never show one."""
from helpers import execute

# About two seconds of work in one statement (no known size).
LONG = ("%sql WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 "
        "FROM c WHERE x < 4000000) SELECT count(*) AS n FROM c")


def indicator(iopub):
    return [m for m in iopub
            if m["msg_type"] in ("display_data", "update_display_data")]


def test_long_query_shows_then_clears_progress(shared):
    """A cell of several seconds shows the indicator, updates it in place
    and clears it before its result."""
    km, kc = shared
    cell = LONG.replace("4000000", "40000000")
    reply, iopub = execute(kc, cell, timeout=300, allow_stdin=True)
    assert reply["content"]["status"] == "ok"
    msgs = indicator(iopub)
    kinds = [m["msg_type"] for m in iopub]
    assert msgs, "a cell of several seconds must show the indicator"
    assert msgs[0]["msg_type"] == "display_data"
    display_id = msgs[0]["content"]["transient"]["display_id"]
    assert display_id
    assert "s" in msgs[0]["content"]["data"]["text/plain"]
    assert "<progress" in msgs[0]["content"]["data"]["text/html"]
    updates = msgs[1:]
    assert updates and all(m["msg_type"] == "update_display_data"
                           for m in updates)
    assert all(m["content"]["transient"]["display_id"] == display_id
               for m in updates)
    assert updates[-1]["content"]["data"] == {}, "the last update clears it"
    # cleared before the result shows
    assert kinds.index("execute_result") > iopub.index(updates[-1])


def test_silent_and_non_interactive_requests_have_none(shared):
    km, kc = shared
    cell = LONG.replace("4000000", "40000000")
    _, iopub = execute(kc, cell, timeout=300, silent=True, allow_stdin=True)
    assert not indicator(iopub)
    _, iopub = execute(kc, cell, timeout=300, allow_stdin=False)
    assert not indicator(iopub)


def test_short_cell_has_none(shared):
    km, kc = shared
    _, iopub = execute(kc, "1 + 1", allow_stdin=True)
    assert not indicator(iopub)
