"""complete_request through jupyter_client: tables, keyword columns,
lookups, relation paths, strings in fancy indexing, F., methods by the
receiver's type, variables and builtins, magics, file paths; cursor_start
and cursor_end in code points; _jupyter_types_experimental metadata."""


def matches(kernel, code, cursor_pos=None):
    reply = kernel.complete(code, cursor_pos)
    assert reply["status"] == "ok"
    return reply


def test_table_names(kernel):
    r = matches(kernel, "Use")
    assert "User" in r["matches"]
    assert (r["cursor_start"], r["cursor_end"]) == (0, 3)
    r = matches(kernel, "x = Ren")
    assert r["matches"] == ["Rental"]
    assert (r["cursor_start"], r["cursor_end"]) == (4, 7)


def test_types_metadata(kernel):
    r = matches(kernel, "Use")
    types = r["metadata"]["_jupyter_types_experimental"]
    assert len(types) == len(r["matches"])
    entry = {t["text"]: t for t in types}["User"]
    assert entry["type"] == "table"
    assert (entry["start"], entry["end"]) == (0, 3)
    r = matches(kernel, "User.filter(ag")
    entry = r["metadata"]["_jupyter_types_experimental"][0]
    assert entry["text"] == "age=" and entry["type"] == "column"


def test_keyword_columns(kernel):
    code = "User.filter(ag"
    r = matches(kernel, code)
    assert r["matches"] == ["age="]
    assert (r["cursor_start"], r["cursor_end"]) == (12, 14)
    for method in ("exclude", "get", "create", "update"):
        r = matches(kernel, f"User.objects.{method}(name='x', em")
        assert "email=" in r["matches"], method
    # a later keyword position, and not after '='
    r = matches(kernel, "User.filter(age=3, na")
    assert "name=" in r["matches"]
    r = matches(kernel, "User.filter(age=na")
    assert "name=" not in r["matches"]


def test_lookups(kernel):
    r = matches(kernel, "User.filter(age__l")
    assert r["matches"] == ["age__lt", "age__lte"]
    assert (r["cursor_start"], r["cursor_end"]) == (12, 18)
    r = matches(kernel, "User.filter(name__ic")
    assert r["matches"] == ["name__icontains"]


def test_relation_paths(kernel):
    r = matches(kernel, "Rental.filter(bike__")
    m = r["matches"]
    assert {"bike__model=", "bike__wheels=", "bike__id="} <= set(m)
    assert "bike__fee=" not in m and "bike__fee" not in m
    assert r["cursor_start"] == len("Rental.filter(")
    r = matches(kernel, "Rental.filter(user__na")
    assert r["matches"] == ["user__name="]
    r = matches(kernel, "Rental.filter(user__age__g")
    assert r["matches"] == ["user__age__gt", "user__age__gte"]
    # reverse relation from the user side
    r = matches(kernel, "User.filter(rental__f")
    assert r["matches"] == ["rental__fee="]


def test_q_inside_filter(kernel):
    r = matches(kernel, "Rental.filter(Q(fe")
    assert "fee=" in r["matches"]


def test_strings_in_fancy_indexing(kernel):
    code = "users[:, 'na"
    r = matches(kernel, code)
    assert r["matches"] == ["name"]
    assert (r["cursor_start"], r["cursor_end"]) == (10, 12)
    r = matches(kernel, "User[:, ['name', 'e")
    assert r["matches"] == ["email"]
    r = matches(kernel, "adults_df[['a")
    assert r["matches"] == ["age"]


def test_strings_in_field_methods(kernel):
    r = matches(kernel, "users.order_by('-ag")
    assert r["matches"] == ["age"]
    assert r["cursor_start"] == len("users.order_by('-")
    r = matches(kernel, "User.objects.values('em")
    assert r["matches"] == ["email"]


def test_f_columns_and_relations(kernel):
    r = matches(kernel, "User.filter(age__gt=F.")
    assert {"age", "name", "email", "id", "rental"} <= set(r["matches"])
    assert "wheels" not in r["matches"]
    r = matches(kernel, "Rental.filter(fee__gt=F.bi")
    assert r["matches"] == ["bike", "bike_id"]


def test_query_set_methods(kernel):
    r = matches(kernel, "User.objects.fil")
    assert r["matches"] == ["filter"]
    assert (r["cursor_start"], r["cursor_end"]) == (13, 16)
    r = matches(kernel, "users.order")
    assert r["matches"] == ["order_by"]
    r = matches(kernel, "User.filter(age=3).exc")
    assert r["matches"] == ["exclude"]
    r = matches(kernel, "User.objects.")
    assert {"filter", "exclude", "values_list", "dataframe"} <= set(r["matches"])


def test_frame_methods_by_value_type(kernel):
    r = matches(kernel, "adults_df.")
    m = set(r["matches"])
    assert {"head", "describe", "sort_values", "age", "name"} <= m
    assert "filter" not in m
    r = matches(kernel, "adults_df['age'].me")
    assert r["matches"] == ["mean"]
    r = matches(kernel, "User.objects.dataframe().he")
    assert r["matches"] == ["head"]


def test_builtin_value_methods(kernel):
    r = matches(kernel, "greeting.up")
    assert r["matches"] == ["upper"]
    r = matches(kernel, "numbers.app")
    assert r["matches"] == ["append"]


def test_variables_builtins_keywords(kernel):
    r = matches(kernel, "gree")
    assert r["matches"] == ["greeting"]
    r = matches(kernel, "pri")
    assert "print" in r["matches"]
    r = matches(kernel, "whi")
    assert "while" in r["matches"]
    r = matches(kernel, "x = 1\nnum")
    assert r["matches"] == ["numbers"]
    assert r["cursor_start"] == 6


def test_cursor_in_the_middle(kernel):
    code = "Use + 1"
    r = matches(kernel, code, cursor_pos=3)
    assert "User" in r["matches"]
    assert (r["cursor_start"], r["cursor_end"]) == (0, 3)


def test_unicode_code_points(kernel):
    for prefix in ("s = 'héllo wörld'; ", "s = '😀🚲'; "):
        code = prefix + "Use"
        r = matches(kernel, code)
        assert "User" in r["matches"]
        assert r["cursor_start"] == len(prefix)          # code points
        assert r["cursor_end"] == len(code)
    code = "greeting[:1] + 'ö' + gree"
    r = matches(kernel, code)
    assert r["matches"] == ["greeting"]
    assert r["cursor_start"] == len(code) - 4


def test_magics(kernel):
    r = matches(kernel, "%con")
    assert set(r["matches"]) == {"%config", "%connect"}
    assert (r["cursor_start"], r["cursor_end"]) == (0, 4)
    r = matches(kernel, "%%sq")
    assert r["matches"] == ["%%sql"]
    r = matches(kernel, "%hist")
    assert r["matches"] == ["%history"]
    assert r["metadata"]["_jupyter_types_experimental"][0]["type"] == "magic"


def test_file_paths(kernel, tmp_path):
    (tmp_path / "bikes.sqlite").write_bytes(b"")
    (tmp_path / "bikes_dir").mkdir()
    (tmp_path / "rentals.csv").write_text("a,b\n")
    line = f"%connect {tmp_path}/bi"
    r = matches(kernel, line)
    assert r["matches"] == [f"{tmp_path}/bikes.sqlite", f"{tmp_path}/bikes_dir/"]
    assert r["cursor_start"] == len("%connect ")
    assert r["cursor_end"] == len(line)
    r = matches(kernel, f"%load_csv {tmp_path}/re")
    assert r["matches"] == [f"{tmp_path}/rentals.csv"]
    assert r["metadata"]["_jupyter_types_experimental"][0]["type"] == "path"


def test_nothing_in_comments_or_unknown(kernel):
    r = matches(kernel, "# Use")
    assert r["matches"] == []
    r = matches(kernel, "zzzqqq")
    assert r["matches"] == []
    assert r["cursor_start"] == r["cursor_end"] == 6


def test_new_table_is_completed(kernel):
    kernel.ok("%sql CREATE TABLE station (id INTEGER PRIMARY KEY, city TEXT)")
    r = matches(kernel, "Stat")
    assert "Station" in r["matches"]
    r = matches(kernel, "Station.filter(ci")
    assert r["matches"] == ["city="]


def test_strings_in_expression_functions(kernel):
    r = matches(kernel, "Rental.filter(fee__gt=F('fe")
    assert r["matches"] == ["fee"]
    assert r["cursor_start"] == len("Rental.filter(fee__gt=F('")
    r = matches(kernel, "User.objects.aggregate(Sum('a")
    assert r["matches"] == ["age"]
    r = matches(kernel, "User.objects.annotate(n=Count('ren")
    assert r["matches"] == ["rental__"]


def test_db_namespace(kernel):
    r = matches(kernel, "db.")
    assert {"main", "User", "user"} <= set(r["matches"])
    r = matches(kernel, "db.main.Us")
    assert r["matches"] == ["User"]
    assert r["cursor_start"] == len("db.main.")


def test_sql_names_in_sql_magics(kernel):
    r = matches(kernel, "%sql SELECT * FROM ren")
    assert r["matches"] == ["rental"]
    assert r["cursor_start"] == len("%sql SELECT * FROM ")
    r = matches(kernel, "%sql SELECT ema")
    assert r["matches"] == ["email"]
    r = matches(kernel, "%%sql\nSELECT wh")
    assert r["matches"] == ["wheels"]
