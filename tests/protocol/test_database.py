"""The kernel's database options: --database PATH (and $TABULA_DATABASE)
open a file that outlives the kernel; --readonly refuses every write."""
import os

from helpers import execute, start_kernel as start, stop_kernel


def result_text(iopub):
    return "".join(m["content"]["data"].get("text/plain", "")
                   for m in iopub if m["msg_type"] == "execute_result")


def test_database_file_and_readonly(kernelspec_dir, tmp_path):
    db = str(tmp_path / "data.sqlite")
    km, kc = start(extra_arguments=["--database", db])
    try:
        for cell in ("%sql CREATE TABLE t(a INTEGER)",
                     "%sql INSERT INTO t VALUES (7)"):
            reply, _ = execute(kc, cell)
            assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        stop_kernel(km, kc)
    assert os.path.getsize(db) > 0

    km, kc = start(extra_arguments=["--database", db, "--readonly"])
    try:
        reply, iopub = execute(kc, "%sql SELECT a * 6 FROM t")
        assert reply["content"]["status"] == "ok"
        assert "42" in result_text(iopub)
        reply, _ = execute(kc, "%sql INSERT INTO t VALUES (8)")
        assert reply["content"]["status"] == "error"
    finally:
        stop_kernel(km, kc)


def test_database_from_environment(kernelspec_dir, tmp_path):
    db = str(tmp_path / "env.sqlite")
    env = dict(os.environ, TABULA_DATABASE=db)
    km, kc = start(env=env)
    try:
        reply, _ = execute(kc, "%sql CREATE TABLE e(a INTEGER)")
        assert reply["content"]["status"] == "ok"
    finally:
        stop_kernel(km, kc)
    assert os.path.getsize(db) > 0


def test_vacuum_shrinks_the_file(kernelspec_dir, tmp_path):
    """VACUUM runs outside the cell's transaction, so it works from a cell
    and gives the freed pages back to the file system."""
    db = str(tmp_path / "vacuum.sqlite")
    km, kc = start(extra_arguments=["--database", db])
    try:
        for cell in ("%sql CREATE TABLE big(payload TEXT)",
                     "%sql WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
                     "SELECT i + 1 FROM c WHERE i < 20000) "
                     "INSERT INTO big SELECT printf('%0200d', i) FROM c",
                     "%sql DELETE FROM big"):
            reply, _ = execute(kc, cell)
            assert reply["content"]["status"] == "ok", reply["content"]
        before = os.path.getsize(db)
        reply, _ = execute(kc, "%sql VACUUM")
        assert reply["content"]["status"] == "ok", reply["content"]
        after = os.path.getsize(db)
        assert after < before / 10, (before, after)
        reply, iopub = execute(kc, "%sql SELECT count(*) AS n FROM big")
        assert reply["content"]["status"] == "ok"
    finally:
        stop_kernel(km, kc)
