#!/usr/bin/python3
"""Writes tests/golden/frame_display.test from pandas 1.5 (Debian's
python3-pandas): the same 12-row frame as the test's table, printed under
each pd.set_option the test sets with %config.
Usage: /usr/bin/python3 tests/golden/frame_display.py > tests/golden/frame_display.test"""
import pandas as pd
n = 12
rows = [(i, i * 3, i / 7.0, "r%d" % i, i * i, i * 1000.5, "xxx"[: i % 3 + 1]) for i in range(1, n + 1)]
df = pd.DataFrame([r[1:] for r in rows], columns=list("abcdef"),
                  index=pd.Index([r[0] for r in rows], name="id"))
sq = df.reset_index(drop=True)[["a", "b", "d", "e"]]  # %sql result without index
out = []
def say(s): out.append(s)
def cell(src, text):
    say(">>> " + src)
    for line in text.split("\n"):
        line = line.rstrip()
        say(line if line else "<BLANKLINE>")
def noindex(f):
    g = pd.get_option
    return f.to_string(index=False, max_rows=g("display.max_rows"),
                       min_rows=g("display.min_rows"),
                       max_cols=g("display.max_columns"),
                       show_dimensions="truncate")
def setopt(name, v, src=None):
    pd.set_option("display." + name, v)
    say(">>> %%config display.%s = %s" % (name, "None" if v is None else v))
D = "df"
say("# pandas' display options through %config (LANGUAGE.md section 6): every")
say("# expected table below is pandas 1.5's repr of the same frame under the")
say("# same pd.set_option (tests/golden/frame_display.py writes this file).")
say("# (%sql tables show no index: DataFrame.to_string(index=False) under")
say("# the same options.)")
say(">>> %sql CREATE TABLE m(id INTEGER PRIMARY KEY, a INTEGER, b REAL, c TEXT, d INTEGER, e REAL, f TEXT)")
say(">>> %sql WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 12) INSERT INTO m SELECT i, i * 3, i / 7.0, 'r' || i, i * i, i * 1000.5, substr('xxx', 1, i % 3 + 1) FROM c")
say(">>> df = M.dataframe()")
say(">>> %config")
say("display.max_columns = 20\ndisplay.max_rows = 60\ndisplay.min_rows = 10\ndisplay.precision = 6")
say("")
say("# display.max_columns: the first and last halves around a '...' column")
setopt("max_columns", 4)
cell("df", repr(df))
setopt("max_columns", 3)
cell("df", repr(df))
setopt("max_columns", 1)
cell("df", repr(df))
setopt("max_columns", 2)
cell("%sql SELECT a, b, d, e FROM m", noindex(sq))
setopt("max_columns", None)
cell("df", repr(df))
setopt("max_columns", 20)
say("")
say("# display.max_rows with display.min_rows: past max_rows, min_rows rows")
setopt("max_rows", 10)
setopt("min_rows", 4)
cell("df", repr(df))
cell("df['e']", repr(df["e"]))
cell("%sql SELECT a, b, d, e FROM m", noindex(sq))
setopt("min_rows", None)
cell("df", repr(df))
setopt("max_rows", 5)
setopt("min_rows", 10)
cell("df", repr(df))
setopt("max_rows", 6)
setopt("max_columns", 4)
cell("df", repr(df))
setopt("max_rows", 60)
setopt("max_columns", 20)
say("")
say("# display.precision: the float digits")
setopt("precision", 3)
cell("df", repr(df))
cell("df['b']", repr(df["b"]))
setopt("precision", 1)
cell("df[['b', 'e']]", repr(df[["b", "e"]]))
setopt("precision", 0)
cell("df[['b', 'e']].head(3)", repr(df[["b", "e"]].head(3)))
setopt("precision", 6)
say("")
say("# one option, all of them, and the errors")
say(">>> %config display\ndisplay.max_columns = 20\ndisplay.max_rows = 60\ndisplay.min_rows = 10\ndisplay.precision = 6")
say(">>> %config min_rows\ndisplay.min_rows = 10")
say(">>> %config display.width = 80\n!!! ValueError: %config: unknown option 'display.width' (known: display.max_columns, display.max_rows, display.min_rows, display.precision, statement_timeout)")
say("")
say(">>> %config display.precision = 99\n!!! ValueError: %config: display.precision takes a number from 0 to 50, not '99'")
say("")
say(">>> %config display.precision = None\n!!! ValueError: %config: display.precision takes a number from 0 to 50, not 'None'")
say("")
say(">>> %config display.max_columns = -1\n!!! ValueError: %config: display.max_columns takes a number >= 0 or None, not '-1'")
say("")
say(">>> %config display.min_rows = 99999999999999999999\n!!! OverflowError: %config: display.min_rows = 99999999999999999999 does not fit in a 64-bit integer")
print("\n".join(out))
