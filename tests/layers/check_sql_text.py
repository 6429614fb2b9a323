#!/usr/bin/env python3
"""Checks that SQLite-only SQL stays in lang/sql and lang/db (TAP).

The dialect (lang/sql/dialect.h) holds every piece of SQL that an engine
writes differently. This script reads the C files of the layers above the
compiler that run SQL of their own (orm, frame, magic, editor, draw) and
fails on a string literal that holds one of SQLite's own words: catalogue
pragmas and tables, the implicit _rowid_, GLOB, strftime/julianday, LIMIT
-1, EXPLAIN QUERY PLAN, INSERT OR, typeof() (the dialect's value_type),
CAST ... AS REAL (PostgreSQL's real is a 4-byte float: the dialect's
type_real). Comments and identifiers are not read,
only the text between double quotes.

Usage: check_sql_text.py SOURCE_ROOT
"""
import os
import re
import sys

DIRS = ["lang/orm", "lang/frame", "lang/magic", "lang/editor", "lang/draw"]
TOKENS = ["pragma_", "sqlite_schema", "sqlite_master", "_rowid_", "GLOB",
          "strftime", "julianday", "LIMIT -1", "QUERY PLAN", "INSERT OR",
          "PRAGMA", "typeof(", "AS REAL)"]

# A C token stream reduced to what matters: comments, character constants
# and string literals (with escapes).
LEXEME = re.compile(r'/\*.*?\*/|//[^\n]*|\'(?:\\.|[^\\\'\n])*\'|'
                    r'"((?:\\.|[^\\"\n])*)"', re.S)


def literals(text):
    """Yields (line, literal) for each string literal; adjacent literals
    are joined, so a token split across two of them is still found."""
    pieces = []
    last_end = None
    for m in LEXEME.finditer(text):
        if m.group(1) is None:
            continue
        line = text.count("\n", 0, m.start()) + 1
        between = text[last_end:m.start()] if last_end is not None else "x"
        if pieces and between.strip() == "":
            pieces[-1][1] += m.group(1)
        else:
            pieces.append([line, m.group(1)])
        last_end = m.end()
    for line, lit in pieces:
        yield line, lit


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    found = []
    nfiles = 0
    for d in DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                nfiles += 1
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for line, lit in literals(text):
                    for tok in TOKENS:
                        if tok in lit:
                            found.append((os.path.relpath(path, root), line,
                                          tok, lit))
    print("1..2")
    print("ok 1 - read %d files of %s" % (nfiles, ", ".join(DIRS))
          if nfiles else "not ok 1 - no file read under %s" % root)
    if found:
        print("not ok 2 - SQLite-only SQL outside lang/sql and lang/db "
              "(%d): move it into a dialect hook (lang/sql/dialect.h)"
              % len(found))
        for path, line, tok, lit in found:
            print("#   %s:%d: %s in \"%s\"" % (path, line, tok, lit[:70]))
    else:
        print("ok 2 - no SQLite-only SQL text in %s" % ", ".join(DIRS))
    return 0 if nfiles and not found else 1


if __name__ == "__main__":
    sys.exit(main())
