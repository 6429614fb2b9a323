"""Stream output is batched the way ipykernel's OutStream batches it:
consecutive prints of one cell go out as a few stream messages with the
same text, in order with displays and results; text printed before a long
computation is published while it runs, not when it ends; and input()
publishes what was printed before its prompt."""
import time

from helpers import TIMEOUT, execute, shell_reply


def streams(iopub):
    return [m for m in iopub if m["msg_type"] == "stream"]


def test_many_prints_are_few_messages_with_the_same_text(shared):
    km, kc = shared
    reply, iopub = execute(kc, "for i in range(3000):\n    print(i)")
    assert reply["content"]["status"] == "ok"
    out = streams(iopub)
    assert "".join(m["content"]["text"] for m in out) == \
        "".join(f"{i}\n" for i in range(3000))
    assert all(m["content"]["name"] == "stdout" for m in out)
    # one message per print would be 3000; the relay joins them
    assert 1 <= len(out) <= 100, len(out)


def test_output_keeps_its_order_with_displays_and_results(shared):
    km, kc = shared
    reply, iopub = execute(
        kc, "print('a')\nprint('b')\ndisplay(7)\nprint('c')\n6 * 7")
    assert reply["content"]["status"] == "ok"
    seq = [(m["msg_type"], m["content"].get("text") or
            m["content"].get("data", {}).get("text/plain"))
           for m in iopub if m["msg_type"] in
           ("stream", "display_data", "execute_result")]
    assert seq == [("stream", "a\nb\n"), ("display_data", "7"),
                   ("stream", "c\n"), ("execute_result", "42")], seq


def test_each_cell_has_its_own_stream_messages(shared):
    km, kc = shared
    first = kc.execute("print('one')")
    second = kc.execute("print('two')")
    got = {}
    deadline = time.monotonic() + TIMEOUT
    while len(got) < 2 or any(v is None for v in got.values()):
        msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
        parent = msg["parent_header"].get("msg_id")
        if parent in (first, second):
            got.setdefault(parent, None)
            if msg["msg_type"] == "stream":
                got[parent] = msg["content"]["text"]
    assert got == {first: "one\n", second: "two\n"}
    shell_reply(kc, first)
    shell_reply(kc, second)


def loop_cell(n):
    return f"t = 0\nfor i in range({n}):\n    t += i\nt"


def run_printing_then_looping(kc, n):
    """Runs print('started') then a loop of n steps: (seconds until the
    text was published, seconds until idle), from the request."""
    msg_id = kc.execute("print('started')\n" + loop_cell(n))
    start = time.monotonic()
    seen_at = idle_at = None
    deadline = start + 120
    while idle_at is None:
        msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            assert msg["content"]["text"] == "started\n"
            seen_at = time.monotonic()
        if (msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            idle_at = time.monotonic()
    shell_reply(kc, msg_id)
    assert seen_at is not None
    return seen_at - start, idle_at - start


def test_text_before_a_long_computation_shows_while_it_runs(shared):
    km, kc = shared
    # size a loop that runs for about two seconds on this machine/build;
    # the machine's load changes, so a run that came out shorter than a
    # second is made four times longer and run again
    t0 = time.monotonic()
    execute(kc, loop_cell(100000))
    per_iteration = max((time.monotonic() - t0) / 100000, 1e-8)
    n = int(2.0 / per_iteration)
    for _ in range(4):
        seen, idle = run_printing_then_looping(kc, n)
        if idle > 1.0:
            break
        n *= 4
    assert idle > 1.0, "the loop was too short to tell"
    # published within a fraction of the run, not at its end
    assert seen < 0.5 * idle, (seen, idle)


def test_input_publishes_earlier_output_first(shared):
    km, kc = shared
    msg_id = kc.execute("print('before')\nname = input('who? ')\nprint(name)",
                        allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    assert req["content"]["prompt"] == "who? "
    text = ""
    deadline = time.monotonic() + 5
    while text != "before\n":
        msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
        if (msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "stream"):
            text += msg["content"]["text"]
    kc.input("Ada")
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok"
