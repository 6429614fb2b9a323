"""Security: replayed messages are refused on control and for executes
(tests/protocol covers a replayed kernel_info on shell, a replay across
channels and the empty key on a public address), a storm of malformed and
unsigned frames on shell and control leaves both answering, even mid-cell;
the kernel listens only on the connection file's addresses; and values
and names that look like SQL never run as SQL."""
import random
import sqlite3
import time

from jupyter_client.session import Session

import hardlib
from hardlib import LONG_QUERY, SLOW, Raw, control, execute, ok, shell_reply


def test_replayed_control_message_refused(shared):
    km, kc = shared
    r = Raw(km, "control")
    try:
        msg, frames = r.signed("kernel_info_request", {})
        r.send_frames(frames)
        assert r.recv_for(msg["header"]["msg_id"], 5) is not None
        r.send_frames(frames)
        assert r.recv(1.0) is None, "a replayed control message was answered"
    finally:
        r.close()
    assert control(kc, "kernel_info_request")["content"]["status"] == "ok"


def test_replayed_execute_runs_once(shared):
    km, kc = shared
    ok(kc, "replay_counter = 0")
    r = Raw(km, "shell")
    try:
        msg, frames = r.signed("execute_request", {
            "code": "replay_counter += 1", "silent": False,
            "store_history": False, "allow_stdin": False,
            "user_expressions": {}, "stop_on_error": True})
        r.send_frames(frames)
        reply = r.recv_for(msg["header"]["msg_id"], 10)
        assert reply is not None and reply["content"]["status"] == "ok"
        for _ in range(3):
            r.send_frames(frames)
        assert r.recv(1.0) is None, "a replayed execute_request was answered"
    finally:
        r.close()
    assert ok(kc, "replay_counter") == "1"


def garbage(rng, session):
    """One batch of broken frames: random bytes, broken layouts, wrong
    keys, unsigned and truncated messages, bad JSON that is signed."""
    kind = rng.randrange(7)
    if kind == 0:
        return [rng.randbytes(rng.randrange(0, 200))
                for _ in range(rng.randrange(1, 12))]
    if kind == 1:
        return [b"<IDS|MSG>"] + [rng.randbytes(rng.randrange(0, 80))
                                 for _ in range(rng.randrange(0, 8))]
    if kind == 2:
        wrong = Session(key=b"wrong key")
        return wrong.serialize(wrong.msg("execute_request",
                                         {"code": "pwned = 1"}))
    if kind == 3:
        unsigned = Session(key=b"")
        return unsigned.serialize(unsigned.msg("shutdown_request",
                                               {"restart": False}))
    if kind == 4:
        frames = session.serialize(session.msg("execute_request",
                                               {"code": "pwned = 2"}))
        return frames[:rng.randrange(1, len(frames))]
    if kind == 5:
        parts = [b'{"msg_id": 1, "msg_type": null}', b"{", b"[]",
                 rng.randbytes(30)]
        return [b"<IDS|MSG>", session.sign(parts)] + parts
    frames = session.serialize(session.msg("execute_request",
                                           {"code": "pwned = 3"}))
    frames[-1] = frames[-1][:-1] + b' '
    return frames


def storm(km, seed, n=300):
    info = km.get_connection_info()
    key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
    session = Session(key=key, signature_scheme=info["signature_scheme"])
    rng = random.Random(seed)
    raws = [Raw(km, "shell"), Raw(km, "control")]
    try:
        for i in range(n):
            raws[i % 2].send_frames(garbage(rng, session))
        for r in raws:
            assert r.recv(0.5) is None, "garbage was answered"
    finally:
        for r in raws:
            r.close()


def test_garbage_storm_then_both_channels_answer(kernel):
    km, kc = kernel
    storm(km, seed=7)
    assert km.is_alive()
    reply, _ = execute(kc, "pwned")
    assert reply["ename"] == "NameError", "a broken message was executed"
    assert control(kc, "kernel_info_request")["content"]["status"] == "ok"
    msg = kc.session.msg("kernel_info_request", {})
    kc.shell_channel.send(msg)
    assert shell_reply(kc, msg["header"]["msg_id"])["content"]["status"] == "ok"
    assert ok(kc, "1 + 2") == "3"


def test_garbage_storm_during_a_cell(kernel):
    """Garbage arrives on shell and control while a long query runs: the
    interrupt on control still works and the queued garbage is dropped."""
    km, kc = kernel
    msg_id = kc.execute(LONG_QUERY)
    hardlib.wait_running(kc, msg_id)
    storm(km, seed=11, n=200)
    t0 = time.monotonic()
    assert control(kc, "interrupt_request")["content"]["status"] == "ok"
    assert shell_reply(kc, msg_id)["content"]["ename"] == "KeyboardInterrupt"
    assert time.monotonic() - t0 < 2.0 * SLOW
    hardlib.iopub_for(kc, msg_id)
    reply, _ = execute(kc, "pwned")
    assert reply["ename"] == "NameError"
    assert ok(kc, "'alive'") == "'alive'"


def test_binds_only_connection_file_addresses(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    assert info["transport"] == "tcp"
    expected = {(info["ip"], info[f"{c}_port"])
                for c in ("shell", "iopub", "stdin", "control", "hb")}
    found = hardlib.listening_tcp(hardlib.pid(km))
    print(f"\n[figure] kernel {hardlib.pid(km)} listens on {sorted(found)}")
    assert found == expected
    assert all(ip == "127.0.0.1" for ip, _ in found)


INJECTION = "x'); DROP TABLE user; --"
INJECTION2 = 'Robert"); DELETE FROM user WHERE ("1"="1'


def test_values_never_enter_sql_text(spec, tmp_path):
    db = str(tmp_path / "inject.sqlite")
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE user(id INTEGER PRIMARY KEY, name TEXT, "
                      "age INTEGER); INSERT INTO user VALUES (1, 'Ann', 30);")
    con.close()
    km, kc = hardlib.start(extra=["--database", db])
    try:
        cells = [
            f"User.objects.create(name={INJECTION!r}, age=1, pk=2)",
            f"User[1, 'name'] = {INJECTION2!r}",
            f"bad = {INJECTION!r}\n%sql INSERT INTO user(id, name, age) "
            "VALUES (3, :bad, 3)",
            f"User.objects.bulk_create([User.new(name={INJECTION2!r}, age=4, pk=4)])",
            f"User.filter(name={INJECTION!r}).update(age=22)",
            f"u = User[3, :]\nu.name = {INJECTION2!r} + '!'\nu.save()",
        ]
        for cell in cells:
            ok(kc, cell)
        assert ok(kc, f"User.filter(name={INJECTION!r}).count()") == "1"
        assert ok(kc, "User.filter(name__contains=\"DROP TABLE\").count()") \
            == "1"
        assert ok(kc, f"User.exclude(name={INJECTION2!r}).count()") == "2"
        content, _ = execute(kc, f"User.filter(name__regex={INJECTION!r})"
                             ".count()")
        assert content["status"] in ("ok", "error")
    finally:
        hardlib.stop(km, kc)
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT id, name, age FROM user ORDER BY id").fetchall()
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        con.close()
    assert "user" in tables
    assert rows == [(1, INJECTION2, 30), (2, INJECTION, 22),
                    (3, INJECTION2 + "!", 22), (4, INJECTION2, 4)]


def test_injection_in_identifiers_refused(shared):
    """Names that reach SQL as identifiers are checked against the schema:
    a field or table name carrying SQL is an error, never executed."""
    km, kc = shared
    ok(kc, "%sql CREATE TABLE victim(id INTEGER PRIMARY KEY, name TEXT)")
    ok(kc, "%sql INSERT INTO victim(name) VALUES ('v')")
    for cell in [
        "Victim.filter(**{'name\" = 1; DROP TABLE victim; --': 1}).count()",
        "Victim.values('name FROM victim; DROP TABLE victim; --')",
        "Victim.order_by('name; DROP TABLE victim')[:1]",
        "Victim[1, 'name\"; DROP TABLE victim; --']",
        "Victim.objects.update(**{'name = 1; DROP TABLE victim; --': 2})",
    ]:
        content, _ = execute(kc, cell)
        assert content["status"] == "error", cell
        assert content["ename"] in ("FieldError", "TypeError", "ValueError",
                                    "SyntaxError"), (cell, content)
    assert ok(kc, "Victim.objects.count()") == "1"
