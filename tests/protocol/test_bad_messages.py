"""Hostile and broken input on the kernel's sockets: wrong, missing and
replayed signatures, malformed frames, invalid JSON in each part,
non-UTF-8 bytes, missing header fields and multi-MiB messages. None may
be executed or crash the kernel, and the kernel must still answer signed
requests afterwards. Unsigned or unreadable messages get no answer; a
correctly signed request whose other parts cannot be read gets an error
reply between status busy and idle, so that the front end never waits
forever."""
import json
import time

import pytest
from jupyter_client.session import Session

from helpers import Raw, execute, request

def assert_alive(km, kc):
    assert km.is_alive()
    reply = request(kc, "kernel_info_request", {}, timeout=10)
    assert reply["content"]["status"] == "ok"


def assert_not_executed(kc, name):
    reply, _ = execute(kc, name)
    assert reply["content"]["ename"] == "NameError", \
        f"{name} was defined: an unsigned or broken message ran"


def no_iopub_for(kc, msg_id, wait=0.5):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=0.05)
        except Exception:
            continue
        assert msg["parent_header"].get("msg_id") != msg_id, \
            f"iopub {msg['msg_type']} for a message that must be dropped"


@pytest.fixture
def raw(shared):
    km, kc = shared
    r = Raw(km)
    yield km, kc, r
    r.close()


def test_wrong_key_dropped(raw):
    km, kc, r = raw
    bad = Raw(km, key="not-the-key")
    try:
        msg, frames = bad.signed("execute_request", {
            "code": "wrong_key = 1", "silent": False})
        bad.send_frames(frames)
        assert bad.recv(1.0) is None
        no_iopub_for(kc, msg["header"]["msg_id"])
    finally:
        bad.close()
    assert_not_executed(kc, "wrong_key")
    assert_alive(km, kc)


def test_tampered_content_dropped(raw):
    km, kc, r = raw
    msg, frames = r.signed("execute_request", {"code": "1 + 1"})
    frames[-1] = json.dumps({"code": "tampered = 1"}).encode()
    r.send_frames(frames)
    assert r.recv(1.0) is None
    assert_not_executed(kc, "tampered")
    assert_alive(km, kc)


@pytest.mark.parametrize("sig", [b"", b"0" * 64, b"zz", b"A" * 100])
def test_missing_or_malformed_signature_dropped(raw, sig):
    km, kc, r = raw
    msg, frames = r.signed("kernel_info_request", {})
    frames[1] = sig
    r.send_frames(frames)
    assert r.recv(0.7) is None
    no_iopub_for(kc, msg["header"]["msg_id"], 0.2)
    assert_alive(km, kc)


def test_replay_dropped(raw):
    km, kc, r = raw
    msg, frames = r.signed("kernel_info_request", {})
    r.send_frames(frames)
    assert r.recv(5.0) is not None
    r.send_frames(frames)
    assert r.recv(1.0) is None
    assert_alive(km, kc)


def test_replay_after_many_others_dropped(fresh):
    """A history of fixed size (4,096 signatures) was outrun by 4,200 other
    messages; the kernel's history keeps every recent signature. (A kernel
    of its own: the 8,400 status messages would flood the shared client.)"""
    km, kc = fresh
    r = Raw(km)
    msg, first = r.signed("kernel_info_request", {})
    r.send_frames(first)
    assert r.recv(5.0) is not None
    for i in range(4200):
        r.send_frames(r.signed("kernel_info_request", {})[1])
    got = 0
    while got < 4200 and r.recv(10.0) is not None:
        got += 1
    assert got == 4200
    r.send_frames(first)
    assert r.recv(1.0) is None
    r.close()


def test_message_dated_before_the_kernel_started_dropped(raw):
    """The key outlives a restart; a message signed for an earlier kernel
    (dated before this one started, beyond the allowed clock skew) is
    refused."""
    km, kc, r = raw
    msg, frames = r.signed("kernel_info_request", {},
                           header_extra={"date": "2020-01-01T00:00:00.000000Z"})
    r.send_frames(frames)
    assert r.recv(1.0) is None
    assert_alive(km, kc)


def test_signed_message_answered_on_raw_socket(raw):
    """The raw socket itself works: a correctly signed request is answered
    (so the silence in the other tests means the message was dropped)."""
    km, kc, r = raw
    msg, frames = r.signed("kernel_info_request", {})
    r.send_frames(frames)
    reply = r.recv(5.0)
    assert reply is not None
    content = json.loads(reply[-1])
    assert content["protocol_version"] == "5.3"


MALFORMED = [
    [b"no delimiter at all"],
    [b"<IDS|MSG>"],
    [b"<IDS|MSG>", b"sig"],
    [b"<IDS|MSG>", b"", b"{}", b"{}", b"{}"],
    [b"", b"", b"", b"", b"", b""],
    [b"<IDS|MSG"] + [b"{}"] * 5,
    [b"x"] * 200,
    [b"\xff\xfe\x00"] * 7,
]


@pytest.mark.parametrize("frames", MALFORMED,
                         ids=[f"malformed{i}" for i in range(len(MALFORMED))])
def test_malformed_frames(raw, frames):
    km, kc, r = raw
    r.send_frames(frames)
    assert r.recv(0.5) is None
    assert_alive(km, kc)


def assert_error_reply(kc, r, msg_id, reply_type, timeout=5.0):
    """The raw socket got `reply_type` with status error for `msg_id`, and
    iopub carried busy then idle for it."""
    frames = r.recv(timeout)
    assert frames is not None, "a signed request got no reply"
    i = frames.index(b"<IDS|MSG>")
    header = json.loads(frames[i + 2])
    parent = json.loads(frames[i + 3])
    content = json.loads(frames[i + 5])
    assert header["msg_type"] == reply_type
    assert parent["msg_id"] == msg_id
    assert content["status"] == "error" and content["ename"] == "ValueError"
    assert "not valid JSON" in content["evalue"]
    states = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and states[-1:] != ["idle"]:
        try:
            m = kc.get_iopub_msg(timeout=0.2)
        except Exception:
            continue
        if m["parent_header"].get("msg_id") == msg_id and \
                m["msg_type"] == "status":
            states.append(m["content"]["execution_state"])
    assert states == ["busy", "idle"]


@pytest.mark.parametrize("part", ["header", "parent", "metadata", "content"])
def test_invalid_json_in_each_part(raw, part):
    km, kc, r = raw
    msg = r.session.msg("execute_request", {"code": "bad_json = 1"})
    parts = [r.session.pack(msg["header"]), b"{}", b"{}",
             json.dumps(msg["content"]).encode()]
    index = ["header", "parent", "metadata", "content"].index(part)
    parts[index] = b'{"unterminated": '
    r.send_frames(r.sign_parts(parts))
    if part == "header":
        assert r.recv(0.7) is None
    else:
        assert_error_reply(kc, r, msg["header"]["msg_id"], "execute_reply")
    assert_not_executed(kc, "bad_json")


@pytest.mark.parametrize("content", [
    b'{"code": "non_utf8 = \xff\xfe"}',
    b'{"code": "nul = 1\\u0000"}',
    b'{"code": "surrogate = \'\\ud800\'"}',
], ids=["raw-0xff", "nul-escape", "lone-surrogate"])
def test_unreadable_code_answered_with_error(raw, content):
    km, kc, r = raw
    msg = r.session.msg("execute_request", {})
    parts = [r.session.pack(msg["header"]), b"{}", b"{}", content]
    r.send_frames(r.sign_parts(parts))
    assert_error_reply(kc, r, msg["header"]["msg_id"], "execute_reply")
    for name in ("non_utf8", "nul", "surrogate"):
        assert_not_executed(kc, name)
    assert_alive(km, kc)


def test_cursor_pos_past_64_bits_answered_with_error(raw):
    km, kc, r = raw
    msg = r.session.msg("inspect_request", {})
    parts = [r.session.pack(msg["header"]), b"{}", b"{}",
             b'{"code": "x", "cursor_pos": 9223372036854775808, '
             b'"detail_level": 0}']
    r.send_frames(r.sign_parts(parts))
    assert_error_reply(kc, r, msg["header"]["msg_id"], "inspect_reply")
    assert_alive(km, kc)


@pytest.mark.parametrize("drop", ["msg_type", "msg_id"])
def test_missing_header_fields(raw, drop):
    km, kc, r = raw
    msg = r.session.msg("execute_request", {"code": "no_header = 1"})
    header = dict(msg["header"])
    del header[drop]
    parts = [r.session.pack(header), b"{}", b"{}",
             json.dumps(msg["content"]).encode()]
    r.send_frames(r.sign_parts(parts))
    assert r.recv(0.7) is None
    assert_not_executed(kc, "no_header")


@pytest.mark.parametrize("parts", [
    [b"[]", b"{}", b"{}", b"{}"],
    [b"{}", b"{}", b"{}", b"{}"],
], ids=["header-array", "empty-header"])
def test_wrong_json_shapes(raw, parts):
    km, kc, r = raw
    r.send_frames(r.sign_parts(parts))
    assert r.recv(0.7) is None
    assert_alive(km, kc)


@pytest.mark.parametrize("parts", [
    [b'{"msg_id": "shape-a", "msg_type": "kernel_info_request"}', b"7",
     b"{}", b"{}"],
    [b'{"msg_id": "shape-b", "msg_type": "kernel_info_request"}', b"{}",
     b"{}", b'"string"'],
], ids=["parent-number", "content-string"])
def test_wrong_json_shapes_of_signed_requests(raw, parts):
    km, kc, r = raw
    r.send_frames(r.sign_parts(parts))
    msg_id = json.loads(parts[0])["msg_id"]
    assert_error_reply(kc, r, msg_id, "kernel_info_reply")
    assert_alive(km, kc)


def test_multi_mib_signed_message_answered(raw):
    km, kc, r = raw
    msg = r.session.msg("kernel_info_request", {})
    msg["metadata"] = {"padding": "p" * (6 * 1024 * 1024)}
    r.send_frames(r.session.serialize(msg))
    reply = r.recv(10.0)
    assert reply is not None
    assert json.loads(reply[-1])["status"] == "ok"


def test_multi_mib_garbage_dropped(raw):
    km, kc, r = raw
    r.send_frames([b"<IDS|MSG>", b"0" * 64] + [b"\xff" * (8 << 20)] * 4)
    assert r.recv(1.0) is None
    assert_alive(km, kc)


def test_oversized_message_dropped(raw):
    km, kc, r = raw
    msg = r.session.msg("kernel_info_request", {})
    msg["metadata"] = {"padding": "p" * (70 * 1024 * 1024)}
    r.send_frames(r.session.serialize(msg))
    assert r.recv(2.0) is None
    assert_alive(km, kc)


@pytest.mark.parametrize("channel", ["control", "stdin"])
def test_garbage_on_other_channels(shared, channel):
    km, kc = shared
    r = Raw(km, channel)
    try:
        for frames in MALFORMED:
            r.send_frames(frames)
        wrong = Session(key=b"wrong")
        r.send_frames(wrong.serialize(wrong.msg("shutdown_request",
                                                {"restart": False})))
        assert r.recv(1.0) is None
    finally:
        r.close()
    assert_alive(km, kc)
    reply = request(kc, "kernel_info_request", {}, channel="control")
    assert reply["content"]["status"] == "ok"


def test_unsigned_shutdown_ignored(shared):
    km, kc = shared
    r = Raw(km, "control", key="")
    try:
        msg = r.session.msg("shutdown_request", {"restart": False})
        r.send_frames(r.session.serialize(msg))
        assert r.recv(1.0) is None
    finally:
        r.close()
    time.sleep(0.3)
    assert_alive(km, kc)


def test_empty_key_disables_signing(kernelspec_dir):
    """An empty key in the connection file turns signing off, as the
    protocol says: unsigned messages are then answered."""
    from jupyter_client import KernelManager
    km = KernelManager(kernel_name="tabula-test")
    km.session.key = b""
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=20)
        assert km.get_connection_info()["key"] in (b"", "")
        reply, iopub = execute(kc, "1 + 1")
        assert reply["content"]["status"] == "ok"
        assert reply["header"]["msg_type"] == "execute_reply"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_replay_across_channels_dropped(shared):
    """One replay history for the session: a shell message sent again on
    control is a replay."""
    km, kc = shared
    shell, ctl = Raw(km, "shell"), Raw(km, "control")
    try:
        msg, frames = shell.signed("kernel_info_request", {})
        shell.send_frames(frames)
        assert shell.recv(5.0) is not None
        ctl.send_frames(frames)
        assert ctl.recv(1.0) is None
    finally:
        shell.close()
        ctl.close()


@pytest.mark.parametrize("ip,refused", [("0.0.0.0", True),
                                        ("127.0.0.1", False)])
def test_empty_key_only_on_loopback(kernelspec_dir, tmp_path, ip, refused):
    import os
    import subprocess
    import socket
    ports = []
    for _ in range(5):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        s.close()
    conn = tmp_path / "conn.json"
    conn.write_text(json.dumps(dict(zip(
        ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"],
        ports), ip=ip, key="", transport="tcp",
        signature_scheme="hmac-sha256")))
    p = subprocess.Popen([os.environ["TABULA_KERNEL"], "-f", str(conn)],
                         stderr=subprocess.PIPE, text=True)
    try:
        rc = p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        if p.poll() is None:
            p.terminate()
            p.wait(timeout=10)
    err = p.stderr.read()
    if refused:
        assert rc == 1 and "empty key" in err
    else:
        assert rc is None and "empty key" in err
