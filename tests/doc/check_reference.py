#!/usr/bin/python3
"""This file checks the examples of the language reference (lang/doc/*.md).

Every `## ` section of a reference file is one session: its fenced code
blocks that start with `>>> ` are its examples, run in order on a fresh
in-memory database by `tabula-run --golden` (lang/tabula_run.c), and each
cell must give exactly the text shown under it. The section is turned into
a golden file (tests/golden/*.test's format):

  - `>>> ` starts a cell, `... ` continues it, the lines up to the next
    `>>> ` or the end of the block are its expected output; a blank line
    inside that output becomes `<BLANKLINE>`, trailing blank lines are
    dropped; `!!! Ename: evalue` is an expected error, as in golden files;
  - `<!-- setup: CELL -->` (one line, anywhere in the section) declares a
    set-up cell that runs before the section's examples with its output
    discarded (the checker runs it inside `if True:`, whose magics and
    expressions show nothing), e.g. `<!-- setup: %demo bikes -->`, whose
    summary line carries a timing;
  - `<!-- options: --readonly -->` opens the section's session read-only.

Blocks whose first line is not `>>> ` (SQL, shell, class bodies shown as
prose) are not run. Output: TAP, one test per cell, named FILE:LINE of the
cell in the reference; the exit status is 1 when a cell fails.

    check_reference.py TABULA_RUN [FILE.md...]   (default: lang/doc/*.md)
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

SETUP = re.compile(r'<!--\s*setup:\s*(.*?)\s*-->')
OPTIONS = re.compile(r'<!--\s*options:\s*(.*?)\s*-->')


def sections(path):
    """Yields (title, lines) for each `## ` section; lines keep numbers."""
    title, lines = None, []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f.read().split('\n'), 1):
            if line.startswith('## '):
                if title is not None:
                    yield title, lines
                title, lines = line[3:].strip(), []
            elif title is not None:
                lines.append((number, line))
    if title is not None:
        yield title, lines


def golden_of(lines):
    """The golden-file text of one section and, per golden line, the
    reference line it came from. None when the section has no example."""
    out, origin = [], []
    options, setups, blocks = None, [], []
    fence, block = None, []
    for number, line in lines:
        if fence is None:
            if line.lstrip().startswith('```'):
                fence, block = line.lstrip()[:3], []
                continue
            m = OPTIONS.search(line)
            if m:
                options = m.group(1)
            for m in SETUP.finditer(line):
                setups.append((number, m.group(1)))
        elif line.lstrip().startswith(fence):
            fence = None
            if block and block[0][1].startswith('>>>'):
                blocks.append(block)
        else:
            block.append((number, line))
    if not blocks:
        return None, None

    def emit(text, number):
        out.append(text)
        origin.append(number)

    if options:
        emit('# options: ' + options, 0)
    for number, cell in setups:
        emit('>>> if True:', number)
        emit('...     ' + cell, number)
        emit('', number)
    for block in blocks:
        expected = []
        for number, line in block + [(None, '>>>')]:
            if line.startswith('>>>') or line.startswith('...'):
                if line.startswith('>>>') and expected is not None:
                    while expected and not expected[-1][1].strip():
                        expected.pop()
                    for n, e in expected:
                        emit(e if e.strip() else '<BLANKLINE>', n)
                    emit('', None)
                    expected = []
                if number is not None:
                    emit(line, number)
            else:
                expected.append((number, line))
    return '\n'.join(out) + '\n', origin


def main(argv):
    if len(argv) < 2:
        print(__doc__.split('\n\n')[-1].strip(), file=sys.stderr)
        return 2
    tabula_run = argv[1]
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    files = argv[2:] or sorted(glob.glob(os.path.join(root, 'lang', 'doc',
                                                      '*.md')))
    results, n = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            shown = os.path.relpath(path, root)
            for title, lines in sections(path):
                text, origin = golden_of(lines)
                if text is None:
                    continue
                n += 1
                gpath = os.path.join(tmp, 'section%d.test' % n)
                with open(gpath, 'w', encoding='utf-8') as f:
                    f.write(text)
                p = subprocess.run([tabula_run, '--golden', gpath],
                                   capture_output=True, text=True)
                tap = p.stdout.split('\n')
                if p.returncode not in (0, 1) or not tap or \
                        not tap[0].startswith('1..'):
                    results.append((False, '%s: %s' % (shown, title),
                                    ['# tabula-run exited %d' % p.returncode]
                                    + ['# ' + l for l in
                                       (p.stdout + p.stderr).split('\n')]))
                    continue
                for line in tap[1:]:
                    m = re.match(r'(ok|not ok) \d+ - .*:(\d+)$', line)
                    if m:
                        ref = origin[int(m.group(2)) - 1]
                        results.append((m.group(1) == 'ok',
                                        '%s:%s (%s)' % (shown, ref, title),
                                        []))
                    elif line.startswith('#') and results:
                        results[-1][2].append(line)
    print('1..%d' % len(results))
    failed = 0
    for i, (ok, name, diag) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
        for d in diag:
            print(d)
        failed += not ok
    if not results:
        print('Bail out! no examples found')
        return 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
