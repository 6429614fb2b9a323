"""Displayed query sets at scale (issue 15): an interrupted display is a
KeyboardInterrupt; `display.max_rows = 0` is capped (TQ_TABLE_ROW_CAP,
10,000 rows) with a note, so a display of many rows stays small; and the
aggregate-first rewrite (lang/sql/rewrite.c) gives the same rows as the
Django-shaped SQL on random query sets over the demo data (run both ways
with TABULA_REWRITE=off and =show, compared row by row, floats to 1e-9
relative)."""
import math
import os
import random
import sqlite3
import subprocess
import time

import pytest

import hardlib
from hardlib import control, ok, shell_reply

BIG = ("%%sql\nCREATE TABLE big (id INTEGER PRIMARY KEY, v REAL);\n"
       "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
       "WHERE x < {n}) INSERT INTO big SELECT x, random() FROM c")


def test_interrupted_display_is_keyboard_interrupt(kernel):
    km, kc = kernel
    ok(kc, BIG.format(n=3000000), timeout=120)
    msg_id = kc.execute("Big.order_by('v')")
    hardlib.wait_running(kc, msg_id, settle=0.3)
    control(kc, "interrupt_request")
    reply = shell_reply(kc, msg_id, timeout=60)
    hardlib.iopub_for(kc, msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt", reply["content"]
    assert ok(kc, "21 * 2") == "42"


def test_show_all_rows_is_capped(kernel):
    km, kc = kernel
    ok(kc, BIG.format(n=50000), timeout=120)
    ok(kc, "%config display.max_rows = 0")
    content, iopub = hardlib.execute(kc, "Big.objects.all()")
    assert content["status"] == "ok"
    data = [m["content"]["data"] for m in iopub
            if m["msg_type"] == "execute_result"][0]
    html, text = data["text/html"], data["text/plain"]
    print(f"\n[figure] 50,000 rows with display.max_rows = 0: "
          f"{len(html):,} bytes of HTML, VmRSS "
          f"{hardlib.vm_rss_kib(hardlib.pid(km)) // 1024} MiB")
    assert "display.max_rows = 0 shows at most 10000 rows" in html
    assert html.count("<tr>") < 10010
    assert len(html) < 4_000_000
    assert "QuerySet" in text
    # %sql keeps the same bound
    content, iopub = hardlib.execute(kc, "%sql SELECT * FROM big")
    data = [m["content"]["data"] for m in iopub
            if m["msg_type"] == "execute_result"][0]
    assert "shows at most 10000 rows" in data["text/plain"]
    # fewer rows than the cap: everything, and no note
    ok(kc, "%sql DELETE FROM big WHERE id > 100")
    content, iopub = hardlib.execute(kc, "Big.objects.all()")
    data = [m["content"]["data"] for m in iopub
            if m["msg_type"] == "execute_result"][0]
    assert "shows at most" not in data["text/html"]
    assert data["text/html"].count("<tr>") == 101


# ---- the rewrite against the Django-shaped SQL

AGGS = ["Sum('{r}__total_fee')", "Count('{r}')", "Avg('{r}__duration_minutes')",
        "Min('{r}__start_time')", "Max('{r}__total_fee')",
        "Count('{r}__bike_id', distinct=True)", "Sum('{r}__duration_minutes')",
        "Count('{r}__total_fee')", "Sum('{r}__total_fee', distinct=True)"]
BASES = {"User": ["id", "name", "age", "city"], "Bike": ["id", "name", "kind"]}


def random_query(rng):
    base = rng.choice(list(BASES))
    cols = BASES[base]
    n = rng.randint(1, 3)
    names = ["a%d" % i for i in range(n)]
    annos = ", ".join("%s=%s" % (nm, rng.choice(AGGS).format(r="rental"))
                      for nm in names)
    qs = "%s.annotate(%s)" % (base, annos)
    keys = [rng.choice(names + cols) for _ in range(rng.randint(0, 2))]
    order = ["%s%s" % (rng.choice(["", "-"]), k) for k in keys] + ["id"]
    if rng.random() < 0.8:
        qs += ".order_by(%s)" % ", ".join("'%s'" % o for o in order)
    mode = rng.random()
    if mode < 0.3:
        qs += ".values_list(%s)" % ", ".join(
            "'%s'" % c for c in rng.sample(cols, 2) + names)
    elif mode < 0.5:
        qs += ".values(%s)" % ", ".join("'%s'" % c for c in ["id"] + names)
    if rng.random() < 0.3:
        qs += "[%d:%d]" % (rng.randint(0, 3), rng.randint(4, 30))
    if rng.random() < 0.15:
        qs = qs.replace(".annotate", ".filter(id__gt=3).annotate", 1)
    return qs


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def test_rewrite_equals_django_sql(tmp_path):
    run = hardlib.run_path()
    if not run:
        pytest.skip("needs TABULA_RUN")
    db = str(tmp_path / "bikes.sqlite")
    p = subprocess.run([run, db, "%demo bikes --rentals 3000 --users 60 "
                        "--bikes 25"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    con = sqlite3.connect(db)
    # a childless user and bike, and rentals whose user or bike is gone
    con.executescript("""
        INSERT INTO user (id, name, email, age, city, joined)
          VALUES (1001, 'Nobody', 'n@x', 30, 'Oslo', '2024-01-01');
        INSERT INTO bike (id, name, kind, city, hourly_rate)
          VALUES (1001, 'Spare', 'city', 'Oslo', 8);
        PRAGMA foreign_keys = OFF;
        INSERT INTO rental (user_id, bike_id, start_time, end_time,
          duration_minutes, total_fee) VALUES
          (99999, 3, '2025-01-01', '2025-01-01', 5, 1.5),
          (4, 99999, '2025-01-02', '2025-01-02', 7, 2.5);""")
    con.commit()
    rng = random.Random(15)
    queries = [random_query(rng) for _ in range(120)]
    cells = ["print(%s.query)" % q for q in queries]

    def sql_of(mode):
        out = subprocess.run([run, "--readonly", db] + cells,
                             capture_output=True, text=True,
                             env=dict(os.environ, TABULA_REWRITE=mode))
        assert out.returncode == 0, out.stderr
        lines = out.stdout.strip().split("\n")
        assert len(lines) == len(queries)
        return lines

    old, new = sql_of("off"), sql_of("show")
    rewritten = 0
    for q, a, b in zip(queries, old, new):
        rows_a = con.execute(a).fetchall()
        rows_b = con.execute(b).fetchall()
        rewritten += a != b
        assert len(rows_a) == len(rows_b), (q, a, b)
        for ra, rb in zip(rows_a, rows_b):
            assert all(same(x, y) for x, y in zip(ra, rb)), (q, ra, rb, b)
    print(f"\n[figure] {len(queries)} random query sets, {rewritten} "
          f"rewritten, every row equal")
    assert rewritten >= len(queries) // 3
