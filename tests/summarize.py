#!/usr/bin/python3
"""This file sums every suite's results into the one closing line that CI
reads: "N passed, N failed" (", N skipped" when any were skipped).

Inputs, each optional (a missing file counts nothing):
  testlog.json  meson's per-test log; TAP tests count their subtests
  pytest.xml    pytest's JUnit XML
  fuzz.txt      lines "PASS name ..." / "FAIL name ..." from tests/fuzz/run
  sanitizer/    a folder where ASan/UBSan write reports; each report fails
  clients.xml   pytest's JUnit XML of tests/clients (the virtualenv's run)

Exit status: 0 when nothing failed, 1 otherwise.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def meson_counts(path):
    """Counts TAP subtests of every meson test; a test whose process failed
    although all its subtests passed (a crash at exit, a sanitizer report)
    counts as one more failure."""
    passed = failed = skipped = 0
    if not os.path.exists(path):
        return passed, failed, skipped
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            line = line.strip()
            if not line:
                continue
            test = json.loads(line)
            p = f = s = 0
            for out in (test.get("stdout") or "").splitlines():
                m = TAP_LINE.match(out.strip())
                if not m:
                    continue
                rest = m.group(2)
                if "# SKIP" in rest.upper():
                    s += 1
                elif m.group(1) == "ok":
                    p += 1
                else:
                    f += 1
            result = test.get("result", "")
            if result == "SKIP" and p + f == 0:
                s += 1
            elif result not in ("OK", "SKIP", "EXPECTEDFAIL") and f == 0:
                f += 1
                print(f"summarize: {test.get('name')} ended {result}")
            elif p + f + s == 0 and result == "OK":
                p += 1
            passed, failed, skipped = passed + p, failed + f, skipped + s
    return passed, failed, skipped


def junit_counts(path):
    if not os.path.exists(path):
        return 0, 0, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def fuzz_counts(path):
    passed = failed = 0
    if os.path.exists(path):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("PASS"):
                    passed += 1
                elif line.startswith("FAIL"):
                    failed += 1
    return passed, failed, 0


def sanitizer_counts(folder):
    failed = 0
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            report = os.path.join(folder, name)
            if os.path.getsize(report) == 0:
                continue
            failed += 1
            print(f"summarize: sanitizer report {report}:")
            with open(report, encoding="utf-8", errors="replace") as text:
                print("".join(text.readlines()[:40]))
    return 0, failed, 0


def main(argv):
    meson_log, junit, fuzz, sanitizer, clients = (argv + [""] * 5)[:5]
    parts = {
        "meson (unit, golden)": meson_counts(meson_log),
        "pytest (protocol, editor, hardening, notebooks, django, pg)": junit_counts(junit),
        "fuzz": fuzz_counts(fuzz),
        "pytest (clients: JupyterLab, Notebook 7, nbconvert, papermill)":
            junit_counts(clients),
        "sanitizer reports": sanitizer_counts(sanitizer),
    }
    for name, (p, f, s) in parts.items():
        print(f"summarize: {name}: {p} passed, {f} failed, {s} skipped")
    passed = sum(p for p, _, _ in parts.values())
    failed = sum(f for _, f, _ in parts.values())
    skipped = sum(s for _, _, s in parts.values())
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
