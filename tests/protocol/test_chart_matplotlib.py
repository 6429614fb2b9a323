"""Each chart kind against pandas + matplotlib on the same data: the same
data is drawn by the kernel (reading what it drew from the bundle's
metadata, "tabula/chart": tick labels and legend entries) and by pandas'
.plot at the same size, and the tick labels (thousands separators left
out), their count and the legend entries must match. The PNG is drawn at
twice its size with IPython's width/height metadata. With
TABULA_CHART_SHOTS=DIR, both pictures of each chart are saved side by side
there (else in the test's tmp dir). Skips without matplotlib."""
import base64
import io
import os

import pytest

from helpers import execute, start_kernel, stop_kernel

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pd = pytest.importorskip("pandas")
import matplotlib.pyplot as plt  # noqa: E402

ROWS = [(i, (i * 37) % 101 + i * 3, (i * 53) % 89 * 120,
         ["city", "electric", "mountain"][i % 3]) for i in range(1, 61)]
MONTHS = [(f"2025-{m:02d}-01", 1000 + m * 370 + (m % 4) * 150)
          for m in range(1, 13)]

SETUP = [
    "%sql CREATE TABLE pt(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, "
    "kind TEXT)",
    "%sql INSERT INTO pt VALUES " + ", ".join(
        f"({i}, {a}, {b}, '{k}')" for i, a, b, k in ROWS),
    "%sql CREATE TABLE mo(id INTEGER PRIMARY KEY, month TEXT, n INTEGER)",
    "%sql INSERT INTO mo(month, n) VALUES " + ", ".join(
        f"('{m}', {n})" for m, n in MONTHS),
    "d = Pt.dataframe()",
]

FRAME = pd.DataFrame(ROWS, columns=["id", "a", "b", "kind"])
AGG = FRAME.groupby("kind", as_index=False)["b"].sum().rename(
    columns={"b": "total"})
MO = pd.DataFrame(MONTHS, columns=["month", "n"])
MO["month"] = pd.to_datetime(MO["month"])

# (name, Tabula cell, pandas drawing, compare x ticks, compare y ticks)
CASES = [
    ("line", "Pt.objects.all().plot.line(x='id', y=['a', 'b'])",
     lambda: FRAME.plot.line(x="id", y=["a", "b"]), True, True),
    ("bar", "Pt.values('kind').annotate(total=Sum('b')).plot.bar("
     "x='kind', y='total', legend=True)",
     lambda: AGG.plot.bar(x="kind", y="total", rot=0), True, True),
    ("barh", "Pt.values('kind').annotate(total=Sum('b')).plot.barh("
     "x='kind', y='total', legend=True)",
     lambda: AGG.plot.barh(x="kind", y="total"), True, True),
    ("scatter", "Pt.objects.all().plot.scatter(x='a', y='b')",
     lambda: FRAME.plot.scatter(x="a", y="b"), True, True),
    ("hist", "d['a'].plot.hist(bins=10)",
     lambda: FRAME["a"].plot.hist(bins=10), True, True),
    ("area", "d.plot.area(x='id', y=['a', 'b'])",
     lambda: FRAME.plot.area(x="id", y=["a", "b"]), True, True),
    ("box", "d.plot.box(y=['a', 'b'])",
     lambda: FRAME[["a", "b"]].plot.box(), True, True),
    ("by", "Pt.objects.all().plot.line(x='id', y='a', by='kind')",
     lambda: by_kind(), True, True),
    ("months", "Mo.objects.all().plot.line(x='month', y='n', legend=True)",
     lambda: MO.plot.line(x="month", y="n"), False, True),
]


def by_kind():
    ax = None
    for k, g in FRAME.groupby("kind"):
        ax = g.plot.line(x="id", y="a", ax=ax, label=k)
    return ax


def shown(labels, axis, lim):
    out = []
    for t in labels:
        pos = t.get_position()[0 if axis == "x" else 1]
        text = t.get_text().replace("\u2212", "-")
        if text and lim[0] - 1e-9 <= pos <= lim[1] + 1e-9:
            out.append(text)
    return out


def mpl_chart(draw):
    plt.close("all")
    ax = draw()
    fig = ax.get_figure()
    fig.set_size_inches(6.4, 4.0)
    fig.canvas.draw()
    legend = ax.get_legend()
    return ax, fig, {
        "xticks": shown(ax.get_xticklabels(), "x", ax.get_xlim()),
        "yticks": shown(ax.get_yticklabels(), "y", ax.get_ylim()),
        "legend": [t.get_text() for t in legend.get_texts()]
                  if legend else [],
    }


def save_side_by_side(path, png, fig):
    import matplotlib.image as mpimg
    ours = mpimg.imread(io.BytesIO(png), format="png")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200)
    buf.seek(0)
    theirs = mpimg.imread(buf, format="png")
    both, axes = plt.subplots(1, 2, figsize=(16, 5), dpi=100)
    for a, img, title in ((axes[0], ours, "Tabula"),
                          (axes[1], theirs, "pandas + matplotlib")):
        a.imshow(img)
        a.set_title(title)
        a.axis("off")
    both.tight_layout()
    both.savefig(path)
    plt.close(both)


def plain(labels):
    return [s.replace(",", "") for s in labels]


@pytest.fixture(scope="module")
def kernel(kernelspec_dir):
    km, kc = start_kernel()
    for cell in SETUP:
        reply, _ = execute(kc, cell)
        assert reply["content"]["status"] == "ok", (cell, reply["content"])
    yield kc
    stop_kernel(km, kc)


@pytest.mark.parametrize("name,cell,draw,cmp_x,cmp_y", CASES,
                         ids=[c[0] for c in CASES])
def test_chart_matches_matplotlib(kernel, tmp_path, name, cell, draw, cmp_x,
                                  cmp_y):
    reply, iopub = execute(kernel, cell)
    assert reply["content"]["status"] == "ok", reply["content"]
    result = [m["content"] for m in iopub
              if m["msg_type"] == "execute_result"][0]
    assert set(result["data"]) == {"image/png", "text/plain"}
    meta = result["metadata"]
    assert meta["image/png"] == {"width": 640, "height": 400}
    png = base64.b64decode(result["data"]["image/png"])
    assert int.from_bytes(png[16:20], "big") == 1280      # drawn at 2x
    ours = meta["tabula/chart"]
    ax, fig, theirs = mpl_chart(draw)
    shots = os.environ.get("TABULA_CHART_SHOTS") or str(tmp_path)
    save_side_by_side(os.path.join(shots, f"{name}.png"), png, fig)
    if cmp_x:
        assert plain(ours["xticks"]) == theirs["xticks"], (ours, theirs)
    if cmp_y:
        assert plain(ours["yticks"]) == theirs["yticks"], (ours, theirs)
    assert ours["legend"] == theirs["legend"], (ours, theirs)


def test_month_axis_uses_month_names(kernel):
    reply, iopub = execute(kernel,
                           "Mo.objects.all().plot.line(x='month', y='n')")
    meta = [m["content"]["metadata"] for m in iopub
            if m["msg_type"] == "execute_result"][0]
    ticks = meta["tabula/chart"]["xticks"]
    assert ticks[0] == "Jan 2025" and 5 <= len(ticks) <= 12, ticks
    assert all(t[:3] in "JanFebMarAprMayJunJulAugSepOctNovDec"
               for t in ticks), ticks


def test_unknown_keyword_lists_the_accepted_ones(kernel):
    reply, _ = execute(kernel, "Pt.objects.all().plot.line(x='id', y='a', "
                       "foo=1)")
    c = reply["content"]
    assert c["status"] == "error" and c["ename"] == "TypeError"
    assert "'foo'" in c["evalue"] and "figsize" in c["evalue"]
