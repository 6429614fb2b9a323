"""Differential test of Tabula's date values against Python's datetime.

Random dates, datetimes and timedeltas (seeded, so a failure repeats) go
through the same expressions in tabula-run and in this Python: arithmetic,
comparisons, attributes, str/repr, isoformat and strftime. Each expression
is written once, in the syntax both languages share, and its repr() must
be the same text in both (LANGUAGE.md section 12: Python's semantics).
"""
import datetime as datetime_module
import random
import subprocess
from datetime import date, datetime, timedelta

import pytest

import hardlib

FORMATS = [
    "%Y-%m-%d %H:%M:%S", "%a %A %b %B %d %j", "%U %W %w %u %V %G",
    "%y %p %I %M %f", "%c | %x | %X", "%% %H%M %e %D %F %T",
]


def rand_datetime(rng):
    start = datetime(1900, 1, 1)
    return start + timedelta(seconds=rng.randrange(0, 200 * 365 * 86400),
                             microseconds=rng.choice([0, 0, rng.randrange(10**6)]))


def rand_timedelta(rng):
    return timedelta(days=rng.randrange(-1000, 1000),
                     seconds=rng.randrange(0, 86400),
                     microseconds=rng.choice([0, rng.randrange(10**6)]))


def cases(rng, n):
    """Expressions (text) over random values, valid Python and Tabula."""
    out = []
    for _ in range(n):
        a, b = rand_datetime(rng), rand_datetime(rng)
        t, u = rand_timedelta(rng), rand_timedelta(rng)
        k = rng.randrange(-7, 8) or 3
        da, db = a.date(), b.date()
        A, B, T, U = repr(a), repr(b), repr(t), repr(u)
        DA, DB = repr(da), repr(db)
        out += [
            A, T, DA, f"str({A})", f"str({T})", f"str({DA})",
            f"{A} - {B}", f"{DA} - {DB}", f"{A} + {T}", f"{A} - {T}",
            f"{DA} + {T}", f"{T} + {DA}", f"{T} + {U}", f"{T} - {U}",
            f"{T} * {k}", f"{k} * {T}", f"{T} // {k}", f"{T} / {k}",
            f"{T} * 0.37", f"-{T}", f"{T} % {U}" if u else T,
            f"{T} // {U}" if u else T,
            f"({A} - {B}).total_seconds()", f"{T}.total_seconds()",
            f"({T}.days, {T}.seconds, {T}.microseconds)",
            f"{A} < {B}", f"{A} == {B}", f"{DA} <= {DB}", f"{T} > {U}",
            f"({A}.weekday(), {A}.isoweekday(), {DA}.toordinal())",
            f"{A}.isoformat()", f"{A}.isoformat(' ')", f"{DA}.isoformat()",
            f"{A}.date()", f"{A}.time()", f"str({A}.time())",
            f"{A}.replace(day=1)", f"{DA}.replace(month=1)",
            f"timedelta(hours={rng.randrange(-50, 50)}, "
            f"minutes={rng.randrange(0, 120)}, seconds={rng.random() * 100!r})",
        ] + [f"{A}.strftime({fmt!r})" for fmt in FORMATS]
    return out


def test_dates_match_python(tmp_path):
    run = hardlib.run_path()
    if not run:
        pytest.skip("needs TABULA_RUN")
    rng = random.Random(20250101)
    exprs = cases(rng, 40)
    cells = ["\n".join(f"print(repr({e}))" for e in exprs[i:i + 50])
             for i in range(0, len(exprs), 50)]
    p = subprocess.run([run, str(tmp_path / "d.sqlite")] + cells,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    got = p.stdout.split("\n")
    for i, e in enumerate(exprs):
        # reprs name the module (datetime.date(...)); Tabula's `datetime`
        # answers .date, .datetime, .timedelta as the module would
        want = repr(eval(e, {"datetime": datetime_module, "date": date,
                             "timedelta": timedelta}))
        assert got[i] == want, f"{e}: Tabula {got[i]!r}, Python {want!r}"
