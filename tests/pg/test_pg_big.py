"""This file checks that big results stay small on PostgreSQL: showing a
query of millions of rows (a `%sql` result and a query set over a table of
that size) fetches the head, the tail and the count while the rows stream
through, so the kernel's resident memory grows by less than 20 MiB, where
holding the rows would take hundreds.

It runs against the server TABULA_TEST_PG names, or else a throwaway
cluster (tests/pg/pgcluster.py). Under AddressSanitizer the figure means
nothing (its quarantine keeps freed memory), so the test skips there.
"""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402
from test_pg_io import KERNEL, RUN, _kernel, _run  # noqa: E402

ROWS = 3_000_000


def _under_asan(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    return "libasan" in out.stdout


def _status(pid, field):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


@pytest.fixture(scope="module")
def server():
    with pgcluster.test_server() as pg:
        yield pg


def test_big_results_stream(server, tmp_path):
    if not os.access(KERNEL, os.X_OK):
        pytest.skip("tabula-kernel is not built")
    if _under_asan(KERNEL):
        pytest.skip("resident memory is not measurable under AddressSanitizer")
    r = subprocess.run(
        [RUN, server.url, "%%sql\nDROP TABLE IF EXISTS big;\n"
         f"CREATE TABLE big AS SELECT g AS id, md5(g::text) AS h "
         f"FROM generate_series(1, {ROWS}) g;\n"
         "ALTER TABLE big ADD PRIMARY KEY (id)"],
        capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    env = dict(os.environ, TABULA_DATABASE=server.url)
    km, kc = _kernel(tmp_path, env, name="tabula-pg-big")
    try:
        pid = km.provisioner.process.pid
        status, text = _run(kc, "Big.count()")
        assert status == "ok" and text == str(ROWS), text
        before = _status(pid, "VmRSS")

        status, text = _run(kc, "%sql SELECT g AS n, md5(g::text) AS h "
                                f"FROM generate_series(1, {ROWS}) g")
        assert status == "ok", text
        lines = text.splitlines()
        assert lines[1].split() == ["1", "c4ca4238a0b923820dcc509a6f75849b"]
        assert lines[-3].split()[0] == str(ROWS), lines[-3:]
        assert lines[-1] == f"[{ROWS} rows x 2 columns]", lines[-1]

        status, text = _run(kc, "Big.values_list('id', flat=True)")
        assert status == "ok", text
        assert text.startswith("<QuerySet [1, 2, 3,"), text[:80]

        grown = (_status(pid, "VmHWM") - before) / 1024
        print(f"kernel RSS {before / 1024:.1f} MiB, peak growth "
              f"{grown:.1f} MiB over {ROWS:,}-row results")
        assert grown < 20, f"the kernel grew {grown:.1f} MiB"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        subprocess.run([RUN, server.url, "%sql DROP TABLE big"],
                       capture_output=True, text=True, timeout=120)
