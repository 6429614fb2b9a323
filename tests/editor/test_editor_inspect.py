"""inspect_request and is_complete_request through jupyter_client."""


def inspect(kernel, code, cursor_pos=None, detail_level=0):
    r = kernel.inspect(code, cursor_pos, detail_level)
    assert r["status"] == "ok"
    return r


def test_table(kernel):
    r = inspect(kernel, "User")
    assert r["found"] is True
    text = r["data"]["text/plain"]
    assert "Table: main.user" in text
    assert "Rows: 2" in text
    assert "Primary key: id" in text
    for col, typ in (("id", "INTEGER"), ("name", "TEXT"), ("age", "INTEGER")):
        assert any(line.split()[:2] == [col, typ]
                   for line in text.splitlines() if line.startswith("  ")), col
    assert "NOT NULL" in text
    assert "rental: Rental" in text           # reverse relation
    assert "CREATE TABLE" not in text          # detail 0
    r = inspect(kernel, "Rental")
    text = r["data"]["text/plain"]
    assert "bike: the Bike whose id = bike_id" in text
    assert "-> Bike.id" in text


def test_table_detail(kernel):
    r = inspect(kernel, "User", detail_level=1)
    text = r["data"]["text/plain"]
    assert "CREATE TABLE user (id INTEGER PRIMARY KEY" in text
    assert "First 2 rows:" in text
    assert "Ann" in text and "Bob" in text
    assert "ann@example.org" in text


def test_row_count_follows_writes(kernel):
    kernel.ok("Bike.objects.create(model='Moulton', wheels=2)")
    text = inspect(kernel, "Bike")["data"]["text/plain"]
    assert "Rows: 2" in text


def test_method_signature_and_doc(kernel):
    r = inspect(kernel, "User.objects.filter")
    text = r["data"]["text/plain"]
    assert "filter(*q, **lookups)" in text
    assert "Docstring:" in text
    # the cursor just after the opening parenthesis, as front ends send it
    code = "users.values_list("
    r = inspect(kernel, code, len(code))
    assert "values_list(*fields, flat=False, named=False)" in r["data"]["text/plain"]
    r = inspect(kernel, "adults_df.head")
    assert "head(n=5)" in r["data"]["text/plain"]


def test_variable_summary(kernel):
    r = inspect(kernel, "greeting")
    text = r["data"]["text/plain"]
    assert "Type:  str" in text
    assert "'héllo wörld'" in text
    assert "text/markdown" in r["data"]


def test_long_value_is_truncated(kernel):
    short = inspect(kernel, "numbers")["data"]["text/plain"]
    assert "Type:  list" in short
    assert "more bytes" in short and "399" not in short
    long = inspect(kernel, "numbers", detail_level=1)["data"]["text/plain"]
    assert "399]" in long


def test_query_set_variable(kernel):
    text = inspect(kernel, "users")["data"]["text/plain"]
    assert "Type:  QuerySet" in text
    assert "Table: main.user" in text
    assert "SELECT" in text


def test_cursor_inside_a_name(kernel):
    code = "x = User.objects.count()"
    r = inspect(kernel, code, cursor_pos=6)      # inside "User"
    assert "Table: main.user" in r["data"]["text/plain"]


def test_not_found(kernel):
    r = inspect(kernel, "no_such_name_here")
    assert r["found"] is False
    assert r["data"] == {}
    r = inspect(kernel, "   ", 1)
    assert r["found"] is False


def test_is_complete(kernel):
    assert kernel.is_complete("x = 1") == {"status": "complete"}
    r = kernel.is_complete("if x > 1:")
    assert r == {"status": "incomplete", "indent": "    "}
    r = kernel.is_complete("for u in users:\n    print(u)")
    assert r["status"] == "incomplete" and r["indent"] == "    "
    r = kernel.is_complete("User.filter(\n    age=3,")
    assert r["status"] == "incomplete"
    assert kernel.is_complete("x = )")["status"] == "invalid"
    assert kernel.is_complete("for u in users:\n    print(u)\n\n") == {
        "status": "complete"}
