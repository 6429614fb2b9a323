#!/usr/bin/python3
"""A frame's load leaves no database pages mapped into the kernel
(issue 15: a frame's memory at a quarter of pandas' or less).

SQLite reads a database file through a memory map (PRAGMA mmap_size):
every page a scan touches stays mapped into the process and counts in
its resident memory (RssFile) and its peak (VmHWM). `.dataframe()`
reads its source once, so it reads without the map (db.h
tqdb_read_once) and only its copies stay. The same table scanned by a
query through the map is the control: it shows that the measure sees
mapped pages at all.

`tabula-run --time 1` prints the session's resident memory at its end.

Environment: TABULA_RUN (default build/lang/tabula-run).
"""
import os
import re
import sqlite3
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RUN = os.environ.get("TABULA_RUN", os.path.join(ROOT, "build", "lang",
                                                "tabula-run"))
ROWS = 500_000


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("resident") / "score.sqlite")
    con = sqlite3.connect(path)
    con.executescript(f"""
        CREATE TABLE score (id INTEGER PRIMARY KEY, age INTEGER,
                            score REAL, note TEXT);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                                WHERE i < {ROWS})
        INSERT INTO score SELECT i, 18 + (i * 7919) % 60, (i % 1000) / 7.0,
                                 printf('note %d', i) FROM n;
    """)
    con.commit()
    con.close()
    return path


def resident(db, cells):
    """The session's mapped-file resident memory at its end, in bytes."""
    out = subprocess.run([RUN, "--time", "1", db] + cells,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    m = re.search(r"^file resident:\s*([0-9]+) kB", out.stderr, re.M)
    assert m, out.stderr[-2000:]
    return int(m.group(1)) * 1024


def test_frame_load_leaves_no_pages_mapped(db):
    size = os.path.getsize(db)
    base = resident(db, ["1"])
    # the control: a scan through the map keeps the pages it read
    scanned = resident(db, ["%sql SELECT sum(length(note)) FROM score"])
    assert scanned - base > size // 2, (base, scanned, size)
    loaded = resident(db, ["df = Score.dataframe()",
                           "print(df['age'].sum())"])
    # what the load runs maps more of the program's own code: well under
    # a quarter of the file
    assert loaded - base < size // 4, (base, loaded, size)


def test_map_returns_after_the_load(db):
    """Queries after a load read through the map again."""
    base = resident(db, ["1"])
    size = os.path.getsize(db)
    after = resident(db, ["df = Score.dataframe()",
                          "%sql SELECT sum(length(note)) FROM score"])
    assert after - base > size // 2, (base, after, size)
