"""history_request (tail, range, search, unique) and %history through
jupyter_client; the history file lives under JUPYTER_DATA_DIR and survives
a kernel restart."""


def hist(k, **kw):
    r = k.history(**kw)
    assert r["status"] == "ok"
    return r["history"]


CELLS = ["a = 1", "b = a + 1", "print('marker', b)", "a = 1"]


def test_history_across_restart(new_kernel, tmp_path):
    data = tmp_path / "data"
    k = new_kernel(data)
    for c in CELLS:
        k.ok(c)
    tail = hist(k, hist_access_type="tail", n=10)
    assert [h[2] for h in tail] == CELLS
    assert [h[1] for h in tail] == [1, 2, 3, 4]
    session = tail[0][0]
    assert hist(k, hist_access_type="tail", n=2) == [
        [session, 3, "print('marker', b)"], [session, 4, "a = 1"]]
    assert hist(k, hist_access_type="range", session=0, start=2, stop=4) == [
        [session, 2, "b = a + 1"], [session, 3, "print('marker', b)"]]
    assert hist(k, hist_access_type="search", pattern="*marker*") == [
        [session, 3, "print('marker', b)"]]
    unique = hist(k, hist_access_type="search", pattern="a = *", unique=True)
    assert [h[2] for h in unique] == ["a = 1"]
    assert len(hist(k, hist_access_type="search", pattern="a = *")) == 2
    with_output = hist(k, hist_access_type="tail", n=1, output=True)
    assert with_output[0][2][0] == "a = 1"
    assert (data / "tabula" / "history.sqlite").is_file()
    k.stop()

    k2 = new_kernel(data)
    tail = hist(k2, hist_access_type="tail", n=10)
    assert [h[2] for h in tail] == CELLS           # the earlier session
    k2.ok("c = 3")
    tail = hist(k2, hist_access_type="tail", n=10)
    assert tail[-1][2] == "c = 3"
    assert tail[-1][0] != session
    assert hist(k2, hist_access_type="range", session=-1, start=1, stop=3) == [
        [session, 1, "a = 1"], [session, 2, "b = a + 1"]]
    assert hist(k2, hist_access_type="search", pattern="*marker*")[0][2] == \
        "print('marker', b)"


def test_history_magic(new_kernel):
    k = new_kernel()
    for c in CELLS:
        k.ok(c)
    out, _ = k.ok("%history")
    assert out.splitlines()[:4] == CELLS


def test_empty_data_dir_has_empty_history(new_kernel, tmp_path):
    k = new_kernel(tmp_path / "other")
    assert hist(k, hist_access_type="tail", n=5) == []
    assert hist(k, hist_access_type="search", pattern="*") == []


def test_history_magic_reads_the_kernel_history(new_kernel):
    """%history shows what the kernel stored: a cell sent with
    store_history=False is run but is not part of the history, and the
    session keeps no second copy of the cells in memory."""
    k = new_kernel()
    k.ok("a = 1")
    msg_id = k.kc.execute("b = 2", store_history=False)
    assert k.reply(msg_id)["content"]["status"] == "ok"
    k.ok("c = a + b")
    out, res = k.ok("print(c)")
    assert out == "3\n"
    out, _ = k.ok("%history -n")
    assert out.splitlines() == ["  1: a = 1", "  2: c = a + b", "  3: print(c)"]
