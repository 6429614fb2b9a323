"""IPython's habits through the real protocol (LANGUAGE.md section 15):
`obj?`, `obj??`, `?obj` and `%magic?` answered with the pager payload in
execute_reply, help() on stdout, print(..., file=stderr) on the stderr
stream, clear_output(wait=) as a clear_output message with the request as
parent, In/Out numbered by the kernel's execution count (store_history
cells only), `rows = %sql` and `%%sql NAME <<`, and tracebacks coloured
as IPython colours them with evalue plain."""
import re

from helpers import execute

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def types(msgs):
    return [m["msg_type"] for m in msgs]


def streams(msgs, name):
    return "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream"
                   and m["content"]["name"] == name)


def page_of(reply):
    """The text/plain of the reply's one pager payload."""
    c = reply["content"]
    assert c["status"] == "ok", c
    payload = c["payload"]
    assert len(payload) == 1, payload
    assert payload[0]["source"] == "page"
    assert payload[0]["start"] == 0
    return payload[0]["data"]["text/plain"]


def test_pager_payload_for_a_table(shared):
    km, kc = shared
    execute(kc, "%demo bikes")
    for code in ("User?", "?User", "User??", "??User", "%pinfo User"):
        reply, msgs = execute(kc, code)
        text = page_of(reply)
        assert text.startswith("Table: main.user  (model User)\n"), code
        assert "Rows: 200" in text and "email   TEXT  NOT NULL  UNIQUE" in text
        assert ("CREATE statement" in text) == ("??" in code), code
        # paging shows nothing in the cell's output
        assert "execute_result" not in types(msgs), code
        assert streams(msgs, "stdout") == "", code


def test_pager_payload_for_methods_and_values(shared):
    km, kc = shared
    execute(kc, "%demo bikes")
    reply, _ = execute(kc, "User.filter?")
    assert page_of(reply) == (
        "Signature: User.filter(*q, **lookups)\n"
        "Docstring: Rows matching every lookup (AND-ed), as a new query "
        "set.\n")
    reply, _ = execute(kc, "adults = User.objects.filter(age__gte=18)\n"
                           "adults?")
    text = page_of(reply)
    assert "Type:  QuerySet" in text and "SQL:   SELECT" in text
    reply, _ = execute(kc, "n = 41\nn?")
    assert page_of(reply) == "Name:  n\nType:  int\nValue: 41\n"


def test_magic_help(shared):
    km, kc = shared
    reply, msgs = execute(kc, "%demo?")
    text = page_of(reply)
    assert "Usage:     %demo bikes" in text
    assert "Docstring: Creates the bike-rental demo data" in text
    assert "error" not in types(msgs)
    reply, _ = execute(kc, "%%sql??")
    assert "Usage:     %%sql STATEMENT" in page_of(reply)


def test_unknown_object(shared):
    km, kc = shared
    reply, msgs = execute(kc, "no_such_thing?")
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["payload"] == []
    assert streams(msgs, "stdout") == "Object `no_such_thing` not found.\n"


def test_help_prints_to_stdout(shared):
    km, kc = shared
    execute(kc, "%demo bikes")
    reply, msgs = execute(kc, "help(User.filter)")
    assert reply["content"]["payload"] == []
    assert streams(msgs, "stdout") == (
        "Signature: User.filter(*q, **lookups)\n"
        "Docstring: Rows matching every lookup (AND-ed), as a new query "
        "set.\n")


def test_stderr_stream(shared):
    km, kc = shared
    reply, msgs = execute(kc, "print('out')\nprint('oops', file=stderr)\n"
                              "sys.stderr.write('more\\n')\n"
                              "print('x', file=sys.stdout)")
    assert reply["content"]["status"] == "ok"
    assert streams(msgs, "stderr") == "oops\nmore\n"
    assert streams(msgs, "stdout") == "out\nx\n"
    parent = reply["parent_header"]["msg_id"]
    assert all(m["parent_header"]["msg_id"] == parent for m in msgs)


def test_clear_output(shared):
    km, kc = shared
    for code, wait in (("print('a')\nclear_output()\nprint('b')", False),
                       ("print('a')\nclear_output(wait=True)\nprint('b')",
                        True)):
        reply, msgs = execute(kc, code)
        assert reply["content"]["status"] == "ok"
        kinds = [m["msg_type"] for m in msgs
                 if m["msg_type"] in ("stream", "clear_output")]
        assert kinds == ["stream", "clear_output", "stream"], kinds
        clear = next(m for m in msgs if m["msg_type"] == "clear_output")
        assert clear["content"] == {"wait": wait}
        assert (clear["parent_header"]["msg_id"]
                == reply["parent_header"]["msg_id"])


def test_in_out_follow_the_execution_count(fresh):
    km, kc = fresh
    reply, _ = execute(kc, "6 * 7")
    n = reply["content"]["execution_count"]
    execute(kc, "1000", store_history=False)      # not numbered, not kept
    execute(kc, "'quiet'", silent=True)
    reply, msgs = execute(kc, f"Out[{n}], _, In[{n}], In[0], len(In)")
    m = reply["content"]["execution_count"]
    assert m == n + 1
    result = next(x for x in msgs if x["msg_type"] == "execute_result")
    assert result["content"]["data"]["text/plain"] == (
        f"(42, 42, '6 * 7', '', {m + 1})")
    reply, msgs = execute(kc, "_[0], __, ___")
    result = next(x for x in msgs if x["msg_type"] == "execute_result")
    assert result["content"]["data"]["text/plain"] == "(42, 42, '')"


def test_raw_sql_into_variables(shared):
    km, kc = shared
    execute(kc, "%demo bikes")
    reply, msgs = execute(kc, "rows = %sql SELECT id FROM user "
                              "WHERE id <= 3 ORDER BY id")
    assert reply["content"]["status"] == "ok"
    assert "execute_result" not in types(msgs)
    reply, msgs = execute(kc, "len(rows), [r[0] for r in rows]")
    result = next(x for x in msgs if x["msg_type"] == "execute_result")
    assert result["content"]["data"]["text/plain"] == "(3, [1, 2, 3])"
    reply, msgs = execute(kc, "%%sql top <<\n"
                              "SELECT city, count(*) AS n FROM user "
                              "GROUP BY city ORDER BY n DESC, city LIMIT 2")
    assert streams(msgs, "stdout") == "Returning data to local variable top\n"
    reply, msgs = execute(kc, "top")
    result = next(x for x in msgs if x["msg_type"] == "execute_result")
    assert "text/html" in result["content"]["data"]
    assert result["content"]["data"]["text/plain"].split("\n")[0].split() \
        == ["city", "n"]


def test_coloured_traceback(shared):
    km, kc = shared
    reply, msgs = execute(kc, "x = 1\nx / 0")
    c = reply["content"]
    assert c["status"] == "error"
    assert c["ename"] == "ZeroDivisionError"
    assert c["evalue"] == "division by zero"      # plain text
    tb = c["traceback"]
    assert tb[-1] == "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"
    assert any("\x1b[0;32m" in line and "Cell In[" in line for line in tb)
    plain = [ANSI.sub("", line) for line in tb]
    assert plain[0] == "Traceback (most recent call last)"
    assert plain[1].startswith("  Cell In[") and plain[1].endswith(", line 2")
    assert plain[2:] == ["    x / 0", "    ^",
                         "ZeroDivisionError: division by zero"]
    error = next(m for m in msgs if m["msg_type"] == "error")
    assert error["content"]["traceback"] == tb
