#!/usr/bin/env python3
"""This file checks that lang/ keeps its layers: a file may include only
headers of its own folder's layer or of layers below it, no layer's
library may call a function defined in a layer above it (read from the
built static libraries with nm, when a build directory is given), and
only the engine file db/sqlite.c names SQLite's API. The
order is the one lang/meson.build lists; a folder that is not in it fails
the check, so a new layer must be placed before it is used.

Usage: check_layers.py SOURCE_ROOT [BUILD_DIR]
Prints one line per violation and a TAP plan; exits 1 on any violation."""
import os
import re
import subprocess
import sys

# Bottom to top, as lang/meson.build links them. "." is lang/ itself
# (tabula.h, session.c, tabula_run.c): the seam, which wires every layer.
LAYERS = ["base", "syntax", "db", "sql", "vm", "render", "draw", "orm",
          "frame", "magic", "editor", "."]
RANK = {name: i for i, name in enumerate(LAYERS)}
# tabula.h is the seam's public header: its types (bundles, results,
# options) are what every layer hands up, so any layer may include it.
SEAM_HEADERS = {"tabula.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(lang, path):
    rel = os.path.relpath(path, lang)
    head = rel.split(os.sep)[0]
    return "." if head == rel else head


def include_violations(lang):
    """Yields one message per include of a higher layer's header."""
    for root, _dirs, files in os.walk(lang):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            folder = folder_of(lang, path)
            if folder not in RANK:
                yield f"{os.path.relpath(path, lang)}: folder '{folder}' is not a layer"
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for header in INCLUDE.findall(text):
                if header in SEAM_HEADERS:
                    continue
                target = header.split("/")[0] if "/" in header else "."
                if "/" not in header and os.path.exists(os.path.join(root, header)):
                    target = folder
                if target not in RANK:
                    yield f"{os.path.relpath(path, lang)}: includes \"{header}\" of no layer"
                elif RANK[target] > RANK[folder]:
                    yield (f"{os.path.relpath(path, lang)}: layer '{folder}' includes "
                           f"\"{header}\" of the higher layer '{target}'")


# Only the engine file may call SQLite.
SQLITE_ENGINE = {"db/sqlite.c"}
SQLITE_NAME = re.compile(r"sqlite3_|sqlite3\.h|SQLITE_")


def engine_violations(lang):
    """Yields one message per file that names SQLite's API outside the
    engine file."""
    for root, _dirs, files in os.walk(lang):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, lang)
            with open(path, encoding="utf-8") as f:
                names = bool(SQLITE_NAME.search(f.read()))
            if rel in SQLITE_ENGINE:
                continue
            if names:
                yield f"{rel}: calls SQLite outside db/sqlite.c (use db/db.h)"


RAISE = re.compile(r'\b(?:tq_raise|cs_fail)\(\s*\w+\s*,\s*"([A-Za-z]+)"')
CATALOGUE_ENTRY = re.compile(r"X\(([A-Za-z]+),")


def raise_violations(lang):
    """Yields one message per error name raised in lang/ that the
    catalogue (base/errors.h) lacks: tq_raise asserts it, so such a raise
    would abort the kernel instead of reaching the user."""
    with open(os.path.join(lang, "base", "errors.h"), encoding="utf-8") as f:
        known = set(CATALOGUE_ENTRY.findall(f.read()))
    for root, _dirs, files in os.walk(lang):
        for name in sorted(files):
            if not name.endswith(".c"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for ename in sorted(set(RAISE.findall(text))):
                if ename not in known:
                    yield (f"{os.path.relpath(path, lang)}: raises {ename}, "
                           "which base/errors.h lacks")


def nm_symbols(archive):
    out = subprocess.run(["nm", "-A", archive], capture_output=True,
                         text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRV":
            defined.add(parts[2])
        elif len(parts) == 3 and parts[1] in "Uw":
            undefined.add(parts[2])
    return defined, undefined


def link_violations(build):
    """Yields one message per call from a layer's library up into a
    higher layer's library."""
    libs = {}
    for name in LAYERS:
        lib = ("libtabula-session.a" if name == "." else
               "libtabula-draw-loader.a" if name == "draw" else
               f"libtabula-{name}.a")
        path = os.path.join(build, "lang", "" if name == "." else name, lib)
        if not os.path.exists(path):
            yield f"{path}: missing (build first)"
            return
        libs[name] = nm_symbols(path)
    owner = {}
    for name, (defined, _u) in libs.items():
        for sym in defined:
            owner.setdefault(sym, name)
    for name, (_d, undefined) in libs.items():
        climbs = sorted(s for s in undefined
                        if s in owner and RANK[owner[s]] > RANK[name])
        for sym in climbs:
            yield f"layer '{name}' calls {sym} of the higher layer '{owner[sym]}'"


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    lang = os.path.join(sys.argv[1], "lang")
    checks = [("includes climb no layer", list(include_violations(lang))),
              ("only the engine file calls SQLite", list(engine_violations(lang))),
              ("every raised name is in the catalogue", list(raise_violations(lang)))]
    if len(sys.argv) == 3:
        checks.append(("calls climb no layer", list(link_violations(sys.argv[2]))))
    print(f"1..{len(checks)}")
    failed = 0
    for i, (what, problems) in enumerate(checks, 1):
        for p in problems:
            print(f"# {p}")
        print(f"{'not ok' if problems else 'ok'} {i} - {what}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
