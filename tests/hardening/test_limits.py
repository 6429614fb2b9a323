"""Cells that used to crash or hang the kernel, each bounded now: source
nested or repeated far past what a person types (hundreds of thousands of
lambdas, brackets, elifs or keyword arguments), and a FIFO given to
%connect. The small cases of the same limits are in
tests/golden/hard_limits.test; these need megabytes of source (more than
one argv string holds, so they go through a generated golden file of
tabula-run), a kernel, a FIFO or a time bound; and NUL bytes in print's
output and in an exception's text (evalue, the traceback's last line),
which a golden file cannot hold.

Errors follow Python's wording: a lambda nested too deep is CPython's
parser text "Parser stack overflowed - Python source too complex to parse"
(CPython raises it as MemoryError; every Tabula parse error is a
SyntaxError); brackets nested too deep are CPython's tokenizer text "too
many nested parentheses"; elif chains and keyword arguments have no limit,
they just work, in linear time."""
import os
import re
import subprocess
import time

import pytest

import hardlib

LAMBDAS = "lambda: " * 300000 + "1"
BRACKETS = "[" * 100000 + "]" * 100000
PARENS = "(" * 100000 + "1" + ")" * 100000
UNARY = "-" * 100000 + "1"
ELIFS = ("x = 59999\nif x == 0:\n    y = 0\n"
         + "".join(f"elif x == {i}:\n    y = {i}\n" for i in range(1, 60000))
         + "else:\n    y = -1\ny")
KWARGS = ("def f(**k): return len(k)\nf("
          + ", ".join(f"a{i}={i}" for i in range(100000)) + ")")
KWARGS_REPEATED = ("def f(**k): return len(k)\nf("
                   + ", ".join(f"a{i}={i}" for i in range(100000))
                   + ", a77=0)")
PARAMS = ("def f(" + ", ".join(f"a{i}=1" for i in range(100000))
          + "): return a99999\nf()")


def golden_cell(code, expected):
    lines = code.split("\n")
    return (">>> " + lines[0] + "\n"
            + "".join("... " + line + "\n" for line in lines[1:])
            + expected + "\n\n")


def run_golden(tmp_path, cells, timeout=60):
    """Runs (code, expected) cells through tabula-run --golden; returns
    (CompletedProcess, seconds)."""
    path = tmp_path / "limits.test"
    path.write_text("".join(golden_cell(c, e) for c, e in cells)
                    + golden_cell("print('alive')", "alive"))
    start = time.monotonic()
    proc = subprocess.run([hardlib.run_path(), "--golden", str(path)],
                          capture_output=True, text=True,
                          timeout=timeout * hardlib.SLOW)
    return proc, time.monotonic() - start


def check(proc):
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-3000:],
                                  proc.stderr[-3000:])
    assert "not ok" not in proc.stdout, proc.stdout[-3000:]


def test_deep_nesting_is_a_syntax_error(tmp_path):
    proc, _ = run_golden(tmp_path, [
        (LAMBDAS, "!!! SyntaxError: Parser stack overflowed - Python source "
                  "too complex to parse"),
        (BRACKETS, "!!! SyntaxError: too many nested parentheses"),
        (PARENS, "!!! SyntaxError: too many nested parentheses"),
        (UNARY, "!!! SyntaxError: too many nested parentheses"),
    ])
    check(proc)


def test_long_elif_chain_runs(tmp_path):
    proc, _ = run_golden(tmp_path, [(ELIFS, "59999")])
    check(proc)


def test_many_keyword_arguments_in_linear_time(tmp_path):
    proc, seconds = run_golden(tmp_path, [
        (KWARGS, "100000"),
        (KWARGS_REPEATED, "!!! SyntaxError: keyword argument repeated: a77"),
        (PARAMS, "1"),
    ])
    check(proc)
    print(f"[figure] 100,000 keyword arguments x3: {seconds:.2f} s")
    # Quadratic checks took 26 s per cell on a release build.
    limit = 30 if hardlib.kernel_is_asan() else 8
    assert seconds < limit * hardlib.SLOW


def test_kernel_survives_deep_cells(kernel):
    km, kc = kernel
    for code, ename in ((LAMBDAS, "SyntaxError"), (BRACKETS, "SyntaxError"),
                        ("x = []\nfor i in range(300000): x = [x]\nx",
                         "RecursionError")):
        content, _ = hardlib.execute(kc, code, timeout=60)
        assert content["status"] == "error", content
        assert content["ename"] == ename, content
    hardlib.ok(kc, "x = None\ne = F.a\nfor i in range(2000000): e = e + 1\n"
                   "e = None", timeout=120)
    assert hardlib.ok(kc, "1 + 1") == "2"
    assert km.is_alive()


def test_print_keeps_nul_bytes(kernel):
    _, kc = kernel
    content, iopub = hardlib.execute(
        kc, "print('a\\0b', 'c', sep='\\0', end='\\0\\n')")
    assert content["status"] == "ok", content
    text = "".join(m["content"]["text"] for m in iopub
                   if m["msg_type"] == "stream")
    assert text == "a\0b\0c\0\n", repr(text)


def test_error_text_keeps_nul_bytes(kernel):
    """ValueError('a\\x00b') is not cut at the NUL: the reply's and the
    iopub message's evalue are str(e), and the traceback ends with
    CPython's last line, `ValueError: a<NUL>b`."""
    _, kc = kernel
    content, iopub = hardlib.execute(kc, "raise ValueError('a\\x00b')")
    assert content["status"] == "error", content
    assert (content["ename"], content["evalue"]) == ("ValueError", "a\0b")
    errors = [m["content"] for m in iopub if m["msg_type"] == "error"]
    assert len(errors) == 1 and errors[0]["evalue"] == "a\0b", errors
    last = re.sub(r"\x1b\[[0-9;]*m", "", errors[0]["traceback"][-1])
    assert last == "ValueError: a\0b", repr(last)
    assert hardlib.ok(kc, "try:\n    raise KeyError('k\\x00', 2)\n"
                          "except KeyError as e:\n    x = e\n"
                          "x.args, str(x), len(str(x))") == \
        "(('k\\x00', 2), \"('k\\\\x00', 2)\", 12)"


def test_error_text_keeps_nul_bytes_on_stderr():
    """tabula-run writes the traceback's last line as CPython writes it to
    stderr, NUL byte and all."""
    code = "raise ValueError('a\\x00b')"
    ours = hardlib.tabula_run(":memory:", code)
    python = subprocess.run(["/usr/bin/python3", "-c", code],
                            capture_output=True, text=True, timeout=60)
    assert ours.returncode == 1 and python.returncode == 1
    assert ours.stderr.splitlines()[-1] == python.stderr.splitlines()[-1] \
        == "ValueError: a\0b", (ours.stderr, python.stderr)


@pytest.mark.parametrize("readonly", [True, False])
def test_connect_fifo_refused_at_once(tmp_path, readonly):
    fifo = tmp_path / "pipe.sqlite"
    os.mkfifo(fifo)
    flag = " --readonly" if readonly else ""
    start = time.monotonic()
    proc = hardlib.tabula_run(":memory:", f"%connect {fifo}{flag}")
    seconds = time.monotonic() - start
    assert seconds < 10 * hardlib.SLOW
    assert (f"cannot open database '{fifo}': not a regular file"
            in proc.stdout + proc.stderr), (proc.stdout, proc.stderr)


def test_load_csv_fifo_refused_at_once(tmp_path):
    """open() of a FIFO blocked until a writer came, and an interrupt could
    not free it; the file is now opened without blocking and refused."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    start = time.monotonic()
    proc = hardlib.tabula_run(":memory:", f"%load_csv {fifo} t")
    seconds = time.monotonic() - start
    assert seconds < 10 * hardlib.SLOW
    assert f"'{fifo}' is not a file" in proc.stdout + proc.stderr, \
        (proc.stdout, proc.stderr)
