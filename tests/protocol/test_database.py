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
