"""Shell channel requests through jupyter_client: kernel_info, execute in
all its variants, complete, inspect, is_complete, history, comms and an
unknown message type; iopub order and parent headers for each."""
import re
import time
import uuid

import pytest

from helpers import drain, execute, iopub_for, request, shell_reply


def types(msgs):
    return [m["msg_type"] for m in msgs]


def test_kernel_info(shared):
    km, kc = shared
    reply = request(kc, "kernel_info_request", {})
    c = reply["content"]
    assert reply["msg_type"] == "kernel_info_reply"
    assert c["status"] == "ok"
    assert c["protocol_version"] == "5.3"
    assert c["implementation"] == "tabula"
    assert re.match(r"^\d+\.\d+\.\d+$", c["implementation_version"])
    li = c["language_info"]
    assert li["name"] == "tabula"
    for key in ("version", "mimetype", "file_extension", "pygments_lexer",
                "codemirror_mode", "nbconvert_exporter"):
        assert isinstance(li[key], str) and li[key], key
    assert li["file_extension"].startswith(".")
    assert isinstance(c["banner"], str) and "Tabula" in c["banner"]
    assert c["help_links"] and all({"text", "url"} <= set(h)
                                   for h in c["help_links"])


def test_reply_header(shared):
    km, kc = shared
    msg_id = kc.kernel_info()
    reply = shell_reply(kc, msg_id)
    h = reply["header"]
    assert h["msg_type"] == "kernel_info_reply" and h["version"] == "5.3"
    assert h["session"] and h["msg_id"] and h["username"]
    assert reply["parent_header"]["msg_id"] == msg_id
    iopub = iopub_for(kc, msg_id)
    assert types(iopub) == ["status", "status"]
    assert [m["content"]["execution_state"] for m in iopub] == ["busy", "idle"]


def test_execute_result_and_iopub_order(shared):
    km, kc = shared
    reply, iopub = execute(kc, "1 + 1")
    assert reply["content"]["status"] == "ok"
    n = reply["content"]["execution_count"]
    assert types(iopub) == ["status", "execute_input", "execute_result",
                            "status"]
    assert iopub[0]["content"]["execution_state"] == "busy"
    assert iopub[-1]["content"]["execution_state"] == "idle"
    assert iopub[1]["content"] == {"code": "1 + 1", "execution_count": n}
    result = iopub[2]["content"]
    assert result["data"]["text/plain"] == "2"
    assert result["execution_count"] == n
    parent = reply["parent_header"]["msg_id"]
    assert all(m["parent_header"]["msg_id"] == parent for m in iopub)
    assert reply["content"]["user_expressions"] == {}
    assert reply["content"]["payload"] == []


def test_execution_count_increments(shared):
    km, kc = shared
    a, _ = execute(kc, "1 + 1")
    b, _ = execute(kc, "1 + 1")
    assert b["content"]["execution_count"] == a["content"]["execution_count"] + 1


def test_stream(shared):
    km, kc = shared
    reply, iopub = execute(kc, "print('hello')")
    assert reply["content"]["status"] == "ok"
    streams = [m["content"] for m in iopub if m["msg_type"] == "stream"]
    assert streams == [{"name": "stdout", "text": "hello\n"}]
    assert "execute_result" not in types(iopub)


def test_state_between_cells(shared):
    km, kc = shared
    reply, iopub = execute(kc, "x = 41")
    assert reply["content"]["status"] == "ok"
    assert "execute_result" not in types(iopub)
    reply, iopub = execute(kc, "x + 1")
    results = [m for m in iopub if m["msg_type"] == "execute_result"]
    assert results[0]["content"]["data"]["text/plain"] == "42"


def test_display(shared):
    km, kc = shared
    reply, iopub = execute(kc, "display(3)")
    assert reply["content"]["status"] == "ok"
    shown = [m["content"] for m in iopub if m["msg_type"] == "display_data"]
    assert len(shown) == 1
    assert shown[0]["data"]["text/plain"] == "3"
    assert shown[0]["metadata"] == {}


def test_silent(shared):
    km, kc = shared
    before, _ = execute(kc, "1 + 1")
    reply, iopub = execute(kc, "1 + 1", silent=True)
    assert reply["content"]["status"] == "ok"
    assert types(iopub) == ["status", "status"]
    after, _ = execute(kc, "1 + 1")
    assert (after["content"]["execution_count"]
            == before["content"]["execution_count"] + 1)


def test_store_history_false(shared):
    km, kc = shared
    before, _ = execute(kc, "1 + 1")
    reply, iopub = execute(kc, "1 + 1", store_history=False)
    assert "execute_result" in types(iopub)
    after, _ = execute(kc, "1 + 1")
    assert (after["content"]["execution_count"]
            == before["content"]["execution_count"] + 1)


def test_user_expressions(shared):
    km, kc = shared
    execute(kc, "x = 41")
    reply, _ = execute(kc, "1 + 1", user_expressions={
        "sum": "x + 1", "bad": "undefined_name"})
    ue = reply["content"]["user_expressions"]
    assert ue["sum"]["status"] == "ok"
    assert ue["sum"]["data"]["text/plain"] == "42"
    assert ue["bad"]["status"] == "error"
    assert ue["bad"]["ename"] == "NameError"


def test_name_error(shared):
    km, kc = shared
    reply, iopub = execute(kc, "undefined_name")
    c = reply["content"]
    assert c["status"] == "error" and c["ename"] == "NameError"
    assert isinstance(c["evalue"], str) and isinstance(c["traceback"], list)
    errors = [m["content"] for m in iopub if m["msg_type"] == "error"]
    assert len(errors) == 1 and errors[0]["ename"] == "NameError"
    assert types(iopub)[-1] == "status"


def test_syntax_error(shared):
    km, kc = shared
    reply, iopub = execute(kc, "1 +")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "SyntaxError"


def test_input_with_stdin(shared):
    km, kc = shared
    msg_id = kc.execute("input('name? ')", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=10)
    assert req["msg_type"] == "input_request"
    assert req["content"]["prompt"] == "name? "
    assert req["content"]["password"] is False
    assert req["parent_header"]["msg_id"] == msg_id
    kc.input("Ada")
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok"
    iopub = iopub_for(kc, msg_id)
    result = [m for m in iopub if m["msg_type"] == "execute_result"]
    assert "Ada" in result[0]["content"]["data"]["text/plain"]


def test_unasked_input_reply_does_not_answer_input(shared):
    """An input_reply sent before input() asked is stale: the next input()
    waits for its own answer (ipykernel discards such replies)."""
    km, kc = shared
    kc.input("stale")
    time.sleep(0.3)
    msg_id = kc.execute("input('name? ')", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=10)
    assert req["msg_type"] == "input_request"
    kc.input("fresh")
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok"
    result = [m for m in iopub_for(kc, msg_id)
              if m["msg_type"] == "execute_result"]
    assert "'fresh'" in result[0]["content"]["data"]["text/plain"]


def test_input_reply_to_another_request_is_dropped(shared):
    km, kc = shared
    msg_id = kc.execute("input('name? ')", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=10)
    other = kc.session.msg("input_reply", {"value": "other"},
                           parent={"msg_id": "another-request"})
    kc.stdin_channel.send(other)
    mine = kc.session.msg("input_reply", {"value": "mine"},
                          parent=req["header"])
    kc.stdin_channel.send(mine)
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok"
    result = [m for m in iopub_for(kc, msg_id)
              if m["msg_type"] == "execute_result"]
    assert "'mine'" in result[0]["content"]["data"]["text/plain"]


def test_input_without_stdin(shared):
    km, kc = shared
    reply, _ = execute(kc, "input('name? ')", allow_stdin=False)
    assert reply["content"]["status"] == "error"


def test_stop_on_error_aborts_queue(fresh):
    km, kc = fresh
    # the first cell fails after a short query, so the next two are queued
    slow_error = ("%sql WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT "
                  "x+1 FROM c WHERE x < 3000000) SELECT count(*) FROM c\n"
                  "undefined_name")
    first = kc.execute(slow_error)
    second = kc.execute("1 + 1")
    third = kc.execute("x = 1")
    r1 = shell_reply(kc, first)
    r2 = shell_reply(kc, second)
    r3 = shell_reply(kc, third)
    assert r1["content"]["status"] == "error"
    assert r2["content"]["status"] == "aborted"
    assert r3["content"]["status"] == "aborted"
    for msg_id in (second, third):
        assert types(iopub_for(kc, msg_id)) == ["status", "status"]
    # aborting ends with the queue: the next request runs
    reply, _ = execute(kc, "1 + 1")
    assert reply["content"]["status"] == "ok"


def test_stop_on_error_false(fresh):
    km, kc = fresh
    first = kc.execute("undefined_name", stop_on_error=False)
    second = kc.execute("1 + 1")
    assert shell_reply(kc, first)["content"]["status"] == "error"
    assert shell_reply(kc, second)["content"]["status"] == "ok"


def test_complete(shared):
    km, kc = shared
    execute(kc, "x = 41")
    msg_id = kc.complete("pri", 3)
    c = shell_reply(kc, msg_id)["content"]
    assert c["status"] == "ok"
    assert "print" in c["matches"]
    assert c["cursor_end"] == 3 and 0 <= c["cursor_start"] <= 3
    exp = c["metadata"]["_jupyter_types_experimental"]
    assert [e["text"] for e in exp] == c["matches"]
    assert all({"start", "end", "text", "type"} <= set(e) for e in exp)


def test_inspect(shared):
    km, kc = shared
    execute(kc, "x = 41")
    c = shell_reply(kc, kc.inspect("x", 1))["content"]
    assert c["status"] == "ok"
    assert c["found"] is True
    assert "text/plain" in c["data"]
    c = shell_reply(kc, kc.inspect("", 0))["content"]
    assert c["status"] == "ok" and c["found"] is False and c["data"] == {}


def test_is_complete(shared):
    km, kc = shared
    c = shell_reply(kc, kc.is_complete("1 + 1"))["content"]
    assert c["status"] == "complete" and "indent" not in c
    c = shell_reply(kc, kc.is_complete("print(1"))["content"]
    assert c["status"] == "incomplete" and isinstance(c["indent"], str)
    c = shell_reply(kc, kc.is_complete("1 +"))["content"]
    assert c["status"] in ("invalid", "incomplete")


def test_history(fresh):
    km, kc = fresh
    execute(kc, "x = 41")
    execute(kc, "x + 1")
    execute(kc, "1 + 1", store_history=False)
    tail = shell_reply(kc, kc.history(hist_access_type="tail", n=2,
                                      raw=True, output=False))["content"]
    assert tail["status"] == "ok"
    assert [h[2] for h in tail["history"]] == ["x = 41", "x + 1"]
    session = tail["history"][0][0]
    assert [h[1] for h in tail["history"]] == [1, 2]
    rng = shell_reply(kc, kc.history(hist_access_type="range", session=0,
                                     start=2, stop=3, raw=True,
                                     output=False))["content"]
    assert rng["history"] == [[session, 2, "x + 1"]]
    # search spans every session in the file: use a name of our own
    name = "hist_" + uuid.uuid4().hex[:8]
    execute(kc, f"{name} = 41")
    execute(kc, f"{name} = 41")
    found = shell_reply(kc, kc.history(hist_access_type="search",
                                       pattern=f"{name} = *", unique=True,
                                       n=10, raw=True, output=False))["content"]
    assert [h[2] for h in found["history"]] == [f"{name} = 41"]
    found = shell_reply(kc, kc.history(hist_access_type="search",
                                       pattern=f"{name} = *", unique=False,
                                       n=10, raw=True, output=False))["content"]
    assert [h[2] for h in found["history"]] == [f"{name} = 41"] * 2
    assert [h[1] for h in found["history"]] == [3, 4]


def test_comm_info(shared):
    km, kc = shared
    c = request(kc, "comm_info_request", {})["content"]
    assert c == {"status": "ok", "comms": {}}


def test_comm_open_is_closed(shared):
    km, kc = shared
    msg = kc.session.msg("comm_open", {"comm_id": "c-123",
                                       "target_name": "nothing", "data": {}})
    kc.shell_channel.send(msg)
    iopub = iopub_for(kc, msg["header"]["msg_id"])
    closes = [m["content"] for m in iopub if m["msg_type"] == "comm_close"]
    assert closes == [{"comm_id": "c-123", "data": {}}]
    for kind in ("comm_msg", "comm_close"):
        m = kc.session.msg(kind, {"comm_id": "c-123", "data": {}})
        kc.shell_channel.send(m)
        assert types(iopub_for(kc, m["header"]["msg_id"])) == ["status",
                                                               "status"]
    assert request(kc, "kernel_info_request", {})["content"]["status"] == "ok"


def test_unknown_msg_type(shared):
    km, kc = shared
    drain(kc)
    msg = kc.session.msg("no_such_request", {})
    kc.shell_channel.send(msg)
    iopub = iopub_for(kc, msg["header"]["msg_id"])
    assert types(iopub) == ["status", "status"]
    with pytest.raises(Exception):
        shell_reply(kc, msg["header"]["msg_id"], timeout=0.5)
    assert km.is_alive()
    assert request(kc, "kernel_info_request", {})["content"]["status"] == "ok"
