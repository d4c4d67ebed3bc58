"""The SQL backend decides each applicant's clauses exactly as the Python runtime does.

Differential tests: random registers built from each policy's thresholds (values at, just
under and just over every constant, missing facts, missing years, years the register has
no column for), several policies together (modifiers of 8号 on 14号, 就高不重复 across
6号/8号/14号), run through `to_sql.applicant_clauses` in an in-memory DuckDB over a table laid
out as CONTRACTS.md §4, and compared per row and clause with `runtime.Evaluator` over the
compiled modules: applies, paid, kind, amounts, could_pay, matter, reason and funding must
be equal. Plus the SQL building blocks against the runtime's own functions, and the golden
output of `polc build --emit sql`.
"""

import datetime
from pathlib import Path
import json
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import driver, model, runtime, to_sql
from compiler.lower import lower

from conftest import FIXTURES, ROOT, golden, run_polc
from test_properties import fact_values

DATES = [datetime.date(2019, 12, 31), datetime.date(2020, 6, 30), datetime.date(2021, 6, 30),
         datetime.date(2022, 3, 1), datetime.date(2026, 1, 1)]
# The register has a column for these years only; a series value in another year cannot be
# in it, so it is left out of what the runtime is given too (and reads as unknown in both).
YEARS = tuple(y for y in range(2014, 2026) if y != 2016)
SQL_TYPES = {"money": "DECIMAL(38,6)", "number": "DECIMAL(38,6)", "percent": "DECIMAL(38,6)", "bool": "BOOLEAN",
             "year": "INTEGER", "date": "DATE", "enum": "VARCHAR", "text": "VARCHAR"}


class Register:
    """Policies, their compiled modules and a DuckDB connection holding a register of their
    facts laid out as CONTRACTS.md §4."""

    def __init__(self, paths, items_as_text=False):
        project = driver.load([str(p) for p in paths])
        assert not project.has_errors
        self.asts = project.policies
        self.models = [lower(p) for p in project.policies]
        modules = [driver.load_module(p) for p in project.policies]
        self.evaluator = runtime.Evaluator([(m.POLICY, m.CLAUSES) for m in modules])
        self.schema = {}
        for m in self.models:
            for name, spec in m.schema().items():
                self.schema.setdefault(name, spec)
        self.columns = [("_line", "BIGINT"), ("申请人", "VARCHAR")]
        for name, (base, series, _options, items) in self.schema.items():
            if series:
                self.columns += [(f"{name}.{y}", SQL_TYPES[base]) for y in YEARS]
            else:
                # a 逐项 list: typed, or (CONTRACTS.md §4) VARCHAR[] of each item's value as plain text
                item_type = "VARCHAR" if items_as_text and items else SQL_TYPES[base]
                self.columns.append((name, item_type + ("[]" if items else "")))
        self.years = {name: YEARS for name, spec in self.schema.items() if spec[1]}
        self.items_as_text = items_as_text
        self.connection = duckdb.connect()
        self.queries = {}

    def query(self, on):
        if on not in self.queries:
            self.queries[on] = to_sql.to_sql(to_sql.applicant_clauses(self.models, "register", on, years=self.years),
                                             pretty=False)
        return self.queries[on]

    def cells(self, line, facts):
        row = {"_line": line, "申请人": f"A{line:03d}"}
        for name, value in facts.items():
            if self.schema[name][1]:
                for year, item in value.items():
                    row[f"{name}.{year}"] = item
            elif self.schema[name][3] and self.items_as_text:
                row[name] = [format(item, "f") if isinstance(item, Decimal) else item for item in value]
            else:
                row[name] = value
        return [row.get(column) for column, _type in self.columns]

    def run(self, rows, on):
        """(SQL rows by line, runtime evaluations by line) for a list of facts dicts."""
        self.connection.execute("DROP TABLE IF EXISTS register")
        self.connection.execute("CREATE TABLE register ("
                                + ", ".join(f'"{c.replace(chr(34), chr(34) * 2)}" {t}' for c, t in self.columns) + ")")
        if rows:
            marks = ", ".join("?" for _ in self.columns)
            self.connection.executemany(f"INSERT INTO register VALUES ({marks})",
                                        [self.cells(line, facts) for line, facts in enumerate(rows, 2)])
        result = self.connection.execute(self.query(on))
        names = [d[0] for d in result.description]
        assert tuple(names) == to_sql.OUTPUT_COLUMNS
        by_line = {}
        for values in result.fetchall():
            row = dict(zip(names, values))
            by_line.setdefault(row["_line"], []).append(row)
        for found in by_line.values():
            found.sort(key=lambda r: (r["policy_index"], r["clause_index"]))
        return by_line


def _facts_for_register(facts):
    """Only what a §4 register can hold: series years with a column."""
    out = {}
    for name, value in facts.items():
        if isinstance(value, dict):
            value = {y: v for y, v in value.items() if y in YEARS}
        out[name] = value
    return out


def reason_code(row):
    """The reason code of CONTRACTS.md §3 for a runtime clause row (before quotas/budgets)."""
    if row["applies"] is None:
        return "undecidable"
    if row["applies"] is False:
        return "not_applicable"
    if "modifies" in row:
        return "modifier"
    if not row["paid"]:
        return "not_highest"
    if row["award"]["kind"] == "routing":
        return "routing"
    return "paid"


def _money(text):
    return None if text is None else Decimal(text)


def expected_row(row, policy_index, clause_index):
    award = row["award"]
    return {
        "policy": row["policy"], "policy_index": policy_index, "clause_index": clause_index,
        "clause": row["article"] + (f"第{row['item']}项" if row["item"] is not None else ""),
        "matter": row["matter"], "applies": row["applies"], "paid": row["paid"],
        "kind": award["kind"] if award else None,
        "amount_min": _money(award["min"]) if award else None, "amount_max": _money(award["max"]) if award else None,
        "could_pay": _money(row.get("could_pay")), "reason": reason_code(row), "funding": row.get("funding"),
    }


def actual_row(row):
    got = {key: row[key] for key in ("policy", "policy_index", "clause_index", "clause", "matter", "applies", "paid",
                                     "kind", "amount_min", "amount_max", "could_pay", "reason")}
    got["funding"] = json.loads(row["funding"]) if row["funding"] is not None else None
    return got


def compare(register, rows, on):
    rows = [_facts_for_register(facts) for facts in rows]
    by_line = register.run(rows, on)
    assert sorted(by_line) == list(range(2, 2 + len(rows)))
    for line, facts in enumerate(rows, 2):
        evaluation = register.evaluator.evaluate(facts, on).to_json()
        expected, index = [], {}
        docnos = [m.docno for m in register.models]
        for row in evaluation["clauses"]:
            policy_index = docnos.index(row["policy"]) + 1
            index[policy_index] = index.get(policy_index, 0) + 1
            expected.append(expected_row(row, policy_index, index[policy_index]))
        got = [actual_row(r) for r in by_line[line]]
        for want, have in zip(expected, got):
            assert have == want, (facts, on)
        assert len(got) == len(expected)
        assert all(r["申请人"] == f"A{line:03d}" for r in by_line[line])


def _register_strategy(register):
    parts = st.tuples(*(fact_values(p) for p in register.asts))

    def merged(pieces):
        facts = {}
        for piece in pieces:
            facts.update(piece)
        return facts
    return st.lists(parts.map(merged), min_size=1, max_size=20)


POLICY_FILES = [p for p in sorted((ROOT / "policies").glob("*.pol")) if p.name != "vocabulary.pol"]


@pytest.fixture(scope="module")
def all_policies():
    return Register([p.relative_to(ROOT) for p in POLICY_FILES], items_as_text=True)


def test_every_shipped_policy_together_agrees_with_the_runtime(all_policies):
    """Six policies at once: 8号's ×1.5 modifier on 14号's investment clauses, 就高不重复 across
    6号, 8号 and 14号 (驰名商标, 主导标准 …), 16号's 分担 between two payers."""
    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(all_policies), st.sampled_from(DATES[1:3]))
    def check(rows, on):
        compare(all_policies, rows, on)
    check()


def test_only_listed_leaves_out_exactly_the_rows_that_do_not_apply(all_policies):
    """applicant_clauses(only_listed=True) (the batch engine's form): the same rows, every
    column the same (就高不重复 and funding included), less those whose clause does not apply."""
    @settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(all_policies), st.sampled_from(DATES[1:3]))
    def check(rows, on):
        full = all_policies.run([_facts_for_register(facts) for facts in rows], on)
        listed = to_sql.to_sql(to_sql.applicant_clauses(all_policies.models, "register", on, years=all_policies.years,
                                                        only_listed=True), pretty=False)
        key = ("_line", "policy_index", "clause_index")
        got = sorted(all_policies.connection.execute(listed).fetchall(), key=lambda r: r[:1] + r[3:5])
        want = sorted((tuple(r.values()) for found in full.values() for r in found if r["applies"] is not False),
                      key=lambda r: r[:1] + r[3:5])
        assert key == (to_sql.OUTPUT_COLUMNS[0], *to_sql.OUTPUT_COLUMNS[3:5])
        assert got == want
        assert sum(len(found) for found in full.values()) > len(got) or not rows
    check()


def test_keep_matters_read_also_keeps_the_rows_that_name_a_matter_read_from_a_fact(all_policies):
    """applicant_clauses(only_listed=True, keep_matters_read=True) (what the batch engine
    runs): the rows of only_listed, plus those of a clause whose matter is read from a fact
    (事项 按 X) in a 就高不重复 policy when that matter is known, even if it does not apply —
    the batch totals resolve the matter with them. Every column as in the full query."""
    by_fact = {(p, c) for p, model_ in enumerate(all_policies.models, 1)
               for c, clause in enumerate(model_.evaluated_clauses, 1)
               if clause.matter_by is not None and model_.principle is model.Principle.HIGHEST_ONLY}
    assert by_fact  # 6号 has one: the test needs it

    @settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(all_policies), st.sampled_from(DATES[1:3]))
    def check(rows, on):
        full = all_policies.run([_facts_for_register(facts) for facts in rows], on)
        kept = to_sql.to_sql(to_sql.applicant_clauses(all_policies.models, "register", on, years=all_policies.years,
                                                      only_listed=True, keep_matters_read=True), pretty=False)
        got = sorted(all_policies.connection.execute(kept).fetchall(), key=lambda r: r[:1] + r[3:5])
        want = sorted((tuple(r.values()) for found in full.values() for r in found
                       if r["applies"] is not False
                       or ((r["policy_index"], r["clause_index"]) in by_fact and r["matter"] is not None)),
                      key=lambda r: r[:1] + r[3:5])
        assert got == want
    check()


@pytest.mark.parametrize("path", POLICY_FILES + [FIXTURES / "shapes.pol", FIXTURES / "quotas.pol"],
                         ids=lambda p: p.stem)
def test_each_policy_agrees_with_the_runtime(path):
    register = Register([path.relative_to(ROOT)])

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from(DATES))
    def check(rows, on):
        compare(register, rows, on)
    check()


@pytest.mark.fresh_process  # two runs compared: each its own interpreter (and hash seed)
def test_emit_sql_golden_deterministic_and_runs_in_duckdb(tmp_path):
    """`polc build --emit sql` of one policy: the golden text, the same bytes from another
    directory, and a query DuckDB runs over a register of the §4 layout."""
    args = ["build", "--emit", "sql", "--on", "2021-06-30", "tests/fixtures/shapes.pol"]
    result = run_polc(*args)
    assert result.returncode == 0, result.stderr
    golden(ROOT / "tests" / "golden" / "shapes.sql", result.stdout)
    elsewhere = run_polc(*args[:-1], ROOT / "tests" / "fixtures" / "shapes.pol", cwd=tmp_path)
    assert elsewhere.stdout == result.stdout
    register = Register([Path("tests/fixtures/shapes.pol")])
    register.run([], datetime.date(2021, 6, 30))  # creates the table
    rows = register.connection.execute(result.stdout).fetchall()
    assert rows == []
    register.connection.execute("INSERT INTO register (_line, 申请人, 实现税收, 投资额, 企业行业) "
                                "VALUES (2, 'A', true, 1000000, '生产性服务业')")
    paid = {(r[5], r[13], str(r[11])) for r in register.connection.execute(result.stdout).fetchall() if r[8]}
    assert paid == {("第一条", "paid", "100000.00"), ("第二条", "paid", "50000.00"), ("第八条", "paid", "None"), ("第九条", "paid", "None")}


def test_emit_sql_refuses_an_unknown_dialect_and_writes_others():
    result = run_polc("build", "--emit", "sql", "--dialect", "nosuch", "tests/fixtures/shapes.pol")
    assert result.returncode == 2 and "nosuch" in result.stderr and not result.stdout
    spark = run_polc("build", "--emit", "sql", "--dialect", "spark", "tests/fixtures/shapes.pol")
    assert spark.returncode == 0 and "`申请人`" in spark.stdout


def test_modifier_highest_only_and_funding_across_policies(all_policies):
    """Hand-made rows that certainly reach the cross-policy paths: 8号's ×1.5 on a 14号
    investment subsidy (rounded once, after scaling), 驰名商标 paid by 8号 and not by 6号
    (就高不重复 across documents), and 16号's 50/50 split of an award."""
    on = datetime.date(2021, 6, 30)
    rows = [
        {"重点行业绩效评价领跑企业": True, "智能化改造投资项目": True, "经认定高质量项目": False,
         "项目实施年度": 2021, "投资额": Decimal("3333333.33")},
        {"获得品牌类型": "驰名商标", "经司法认定": False, "品牌级别": "国家", "工业企业": True},
        {"市本级创建项目": True, "投资额": Decimal("1234567.89"), "补助类别": "镇村集体美丽粮园"},
    ]
    compare(all_policies, rows, on)
    found = {(r["_line"], r["policy"], r["clause"]): r for rs in all_policies.run(rows, on).values() for r in rs}
    scaled = found[(2, "嘉政办发〔2020〕14号", "第三条第7项")]
    assert scaled["reason"] == "paid" and scaled["amount_max"] == Decimal("750000.00")  # 499999.9995 × 1.5
    assert found[(3, "嘉政发〔2020〕6号", "第十条第1项")]["reason"] == "not_highest"
    assert found[(3, "嘉政发〔2020〕8号", "第十二条第2项")]["reason"] == "paid"
    split = found[(4, "嘉农发〔2020〕16号", "第六条第3项")]
    assert json.loads(split["funding"]) == {"市级财政": {"min": "432098.76", "max": "432098.76"},
                                            "区级财政": {"min": "432098.76", "max": "432098.76"}}


# ---- issue 13 (r14-outcomes): outcomes that are not money, budgets that pro-rate
ISSUE13_OUTCOMES = [ROOT / "tests" / "language" / name / f"{name}.pol" for name in ("outcomes", "prorated-budget", "payer-by-item", "payer-by-condition")]


@pytest.mark.parametrize("path", ISSUE13_OUTCOMES, ids=lambda p: p.stem)
def test_issue13_outcome_policies_agree_with_the_runtime(path):
    register = Register([path.relative_to(ROOT)])

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from(DATES))
    def check(rows, on):
        compare(register, rows, on)
    check()


# ---- issue 13: rates over a run of years (分年度, 自 F 起 第N年)
RUN_YEAR_FILES = sorted((ROOT / "tests" / "language" / "run-years").glob("*.pol"))
RUN_YEAR_FILES += sorted((ROOT / "tests" / "language" / "parts").glob("*.pol"))  # 其中 …: amount_min is paid now


@pytest.mark.parametrize("path", RUN_YEAR_FILES, ids=lambda p: p.stem)
def test_run_years_agree_with_the_runtime(path):
    """分年度 and 自 F 起 第N年 on random registers (start years around the assessed year,
    missing start facts and years), SQL against the runtime."""
    register = Register([path.relative_to(ROOT)])

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from(DATES))
    def check(rows, on):
        compare(register, rows, on)
    check()


def test_run_years_every_year_of_the_run_agrees_with_the_runtime():
    """Every year of the run and either side of it (认定年度 2015–2023 assessed in 2022), with
    the start year or the year's amount unknown: each row, SQL against the runtime, and the
    rates the text gives (80% for years 1–3, 50% for 4–5, nothing after)."""
    path = ROOT / "tests" / "language" / "run-years" / "run-years.pol"
    register = Register([path.relative_to(ROOT)])
    rows = [{"总部企业": True, "认定年度": start, "地方财政贡献": {2022: Decimal(1000000)},
             "营业收入": {2022: Decimal(500000000)}} for start in range(2015, 2024)]
    rows += [{"总部企业": True, "地方财政贡献": {2022: Decimal(1000000)}}, {"总部企业": True, "认定年度": 2020}]
    on = datetime.date(2023, 6, 30)
    compare(register, rows, on)
    first_clause = [found[0] for _line, found in sorted(register.run(rows, on).items())]
    assert [(row["applies"], row["amount_max"]) for row in first_clause] == [
        (False, None), (False, None),                                     # 2015, 2016: years 7 and 6
        (True, Decimal("500000.00")), (True, Decimal("500000.00")),       # 2017, 2018: years 5 and 4
        (True, Decimal("800000.00")), (True, Decimal("800000.00")), (True, Decimal("800000.00")),  # years 3, 2, 1
        (False, None), (False, None),                                     # 2022 (its own year), 2023
        (None, None), (None, None)]                                       # no start year; no amount


def test_parts_paid_now_agree_with_the_runtime_at_every_boundary():
    """其中 …: amount_min is what is paid now, amount_max the whole award; conditions true,
    false and unknown, a part due in a later year, and an amount whose parts round."""
    path = ROOT / "tests" / "language" / "parts" / "parts.pol"
    register = Register([path.relative_to(ROOT)])
    rows = [{"设备投资额": Decimal(amount), "达产升规": done, "项目投资额": Decimal(amount) * 5, "投资进度": progress,
             "竣工投产": done, "首台套装备": True}
            for amount in (9999999, 10000000, 10000001, 123456789, 1000000000)
            for done in (True, False, None) for progress in (Decimal("0.4999"), Decimal("0.5"), None)]
    rows = [{k: v for k, v in row.items() if v is not None} for row in rows]
    compare(register, rows, datetime.date(2024, 3, 31))


# ---- issue 13: offsets (抵扣), after 就高不重复 and before the funding split
OFFSETS = ROOT / "tests" / "language" / "offsets" / "offsets.pol"
# A second document paying the same matter in the uncertain ways a source can: a range, 一事一议
# (no stated amount: the most taken is unbounded) and an exact amount whose condition may be
# unknown (then its stated ceiling, 30万元, is the most it could take).
OFFSET_COMPANION = """政策 县政发[2023]9号
标题 "关于支持企业技术改造的若干措施"
施行日期 2023年1月1日
冲突原则 就高不重复

定义事项 固定资产投资奖励 说明 "固定资产投资奖励（与区政发[2023]3号第七条为同一事项）"

事实 技改项目: 是否
事实 重大项目: 是否
事实 示范项目: 是否

条款 第一条 「技改项目奖励」
  原文 "对技改项目给予10万元至50万元奖励。"
  事项 固定资产投资奖励
  当 技改项目
  给予 10万元 至 50万元

条款 第二条 「重大项目」
  原文 "重大项目一事一议。"
  事项 固定资产投资奖励
  当 重大项目
  给予 一事一议

条款 第三条 「示范项目」
  原文 "对示范项目给予30万元奖励。"
  事项 固定资产投资奖励
  当 示范项目
  给予 30万元
"""


@pytest.fixture(scope="module")
def offsets_with_companion(tmp_path_factory):
    companion = tmp_path_factory.mktemp("offsets") / "companion.pol"
    companion.write_text(OFFSET_COMPANION, encoding="utf-8")
    return Register([OFFSETS.relative_to(ROOT), companion])


@pytest.mark.parametrize("together", [False, True], ids=["alone", "with-companion"])
def test_offsets_agree_with_the_runtime(together, offsets_with_companion):
    """抵扣 on random registers (values around each threshold, missing facts): applies, paid
    and the reduced amount_min/amount_max of every clause, SQL against runtime.Evaluator, for
    the offsets policy alone and together with a document paying the offset matter too."""
    register = offsets_with_companion if together else Register([OFFSETS.relative_to(ROOT)])

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from([datetime.date(2024, 3, 31), datetime.date(2022, 6, 30)]))
    def check(rows, on):
        compare(register, rows, on)
    check()


def test_offsets_at_their_boundaries_agree_with_the_runtime(offsets_with_companion):
    """Hand-made rows: a source bigger than the award (0, never below), a source that is
    unknown (a fact missing: no upper bound; a clause undecidable with and without a stated
    ceiling), a range source, a 一事一议 source, an amount received that rounds half up."""
    register = offsets_with_companion
    on = datetime.date(2024, 3, 31)
    base = {"亩均税收": Decimal(300000), "用地面积": Decimal(150)}
    rows = [
        {**base, "固定资产投资额": Decimal(100000000), "往年已获技改奖励": Decimal(800000),      # 300万元 > 150万元
         "技改项目": False, "重大项目": False, "示范项目": False},
        {**base, "技改项目": False, "重大项目": False, "示范项目": False},                     # 第七条 undecidable
        {**base, "固定资产投资额": Decimal(1), "技改项目": True, "重大项目": False, "示范项目": False},  # range
        {**base, "固定资产投资额": Decimal(1), "技改项目": False, "重大项目": True, "示范项目": False},  # 一事一议
        {**base, "固定资产投资额": Decimal(1), "技改项目": False, "重大项目": False},          # 示范项目 unknown: ≤ 30万元
        {**base, "固定资产投资额": Decimal(1), "技改项目": False, "示范项目": False},          # 重大项目 unknown: unbounded
        {**base, "往年已获技改奖励": Decimal("100000.005"), "固定资产投资额": Decimal(1),
         "技改项目": False, "重大项目": False, "示范项目": False},
    ]
    compare(register, rows, on)
    found = register.run(rows, on)
    amounts = {line: {r["clause"]: (r["paid"], r["amount_min"], r["amount_max"]) for r in rs if r["policy"] == "区政发[2023]3号"}
               for line, rs in found.items()}
    money = Decimal
    assert amounts[2]["第八条"] == (True, money("0.00"), money("0.00"))           # 300万元 taken off 150万元
    assert amounts[2]["第九条"] == (True, money("0.00"), money("0.00"))           # 80万元 taken off 75万元
    assert amounts[3]["第八条"] == (True, money("0.00"), money("1500000.00"))     # 第七条 could pay 300万元
    assert amounts[3]["第九条"] == (True, money("0.00"), money("750000.00"))      # nothing known received: unbounded
    assert amounts[4]["第八条"] == (True, money("1000000.00"), money("1400000.00"))  # 10万元 至 50万元 taken off
    assert amounts[5]["第八条"] == (True, money("0.00"), money("1500000.00"))     # 一事一议: no upper bound
    assert amounts[6]["第八条"] == (True, money("1200000.00"), money("1500000.00"))  # at most the 30万元 stated
    assert amounts[7]["第八条"] == (True, money("0.00"), money("1500000.00"))
    assert amounts[8]["第九条"] == (True, money("650000.00"), money("650000.00"))  # 649999.995 rounded half up
    # only_listed (the batch engine's form) filters before the offset windows: the same rows
    listed = to_sql.to_sql(to_sql.applicant_clauses(register.models, "register", on, years=register.years,
                                                    only_listed=True), pretty=False)
    got = sorted(register.connection.execute(listed).fetchall(), key=lambda r: r[:1] + r[3:5])
    want = sorted((tuple(r.values()) for rs in found.values() for r in rs if r["applies"] is not False),
                  key=lambda r: r[:1] + r[3:5])
    assert got == want
