"""The DuckDB batch's cross-applicant stages (sql_batch: quotas, budgets, allocations, caps per
enterprise, the summary) against the Python batch, on the forms the shipped policies do not
have together: a ranked quota per group with two keys, a ranked percentage quota per group
with a threshold, unranked count and percentage quotas, a ranked budget over all of them, and a
pro-rated budget under a 企业上限 (a funded award that is then capped). Registers are random
(seeded) with ties, missing values, applicants named twice and rows without 申请人.

The summary is counted over clause_rows with the allocated rows' changes added
(Engine._summary); a check here recounts it straight over `final`, which must agree."""

import io
import random
from decimal import Decimal

import pytest

from compiler import batch, driver, runtime, sql_batch
from compiler.lower import lower

RANKED = """政策 测试〔2026〕1号
  施行日期 2022年1月1日
  预算 市级财政 每年 50万元 按 评分 降序

事实 园区: 标识
事实 营业收入: 金额
事实 评分: 数值
事实 参评总数: 数值

条款 第一条 「园区名额」
  当 营业收入 超过 100万元
  给予 10万元
  名额 每年 2 家 每个 园区 按 营业收入 降序、评分 升序

条款 第二条 「比例名额」
  当 评分 不低于 60
  给予 5万元
  名额 比例 30% 基数 参评总数 起点 3 人 每个 园区 按 评分 降序

条款 第三条 「不排序名额」
  当 营业收入 超过 300万元
  给予 20万元
  名额 每年 3 家

条款 第四条 「不排序比例」
  当 评分 超过 90
  给予 8万元
  名额 比例 50% 基数 参评总数

条款 第五条 「只有预算」
  当 评分 不低于 75
  给予 3万元
"""

PRORATED_CAPPED = """政策 测试〔2026〕2号
  施行日期 2022年1月1日
  企业上限 每年 10万元
  预算 专项资金 每年 40万元 按比例核减

事实 园区: 标识
事实 营业收入: 金额
事实 评分: 数值
事实 参评总数: 数值

条款 第一条 「按比例核减的奖励」
  当 营业收入 超过 50万元
  给予 营业收入 × 10% 最高 10万元

条款 第二条 「评分奖励」
  当 评分 不低于 80
  给予 5万元
"""

# Two amounts read per applicant (a range whose ends both come from the register, from one
# fact or two, so that either can be unknown alone): the clause
# rows carry two values beside their code (to_sql.CodedClauses: v1 and v2), which the summary
# sums per code (sql_batch.Engine._evaluated_sql).
TWO_AMOUNTS = """政策 测试〔2026〕3号
  施行日期 2022年1月1日

事实 营业收入: 金额
事实 评分: 数值
事实 参评总数: 数值

条款 第一条 「两端按收入」
  当 评分 不低于 60
  给予 营业收入 × 1% 至 营业收入 × 2% 最高 10万元

条款 第三条 「两端按不同事实」
  当 评分 不低于 50
  给予 营业收入 × 1% 至 参评总数 × 1万元 最高 10万元

条款 第二条 「按收入」
  当 评分 不低于 75
  给予 营业收入 × 3% 最高 20万元
"""

COLUMNS = ["申请人", "园区", "营业收入", "评分", "参评总数"]


_LOADED: dict = {}


def _project(tmp_path_factory, texts):
    """The policies' evaluator modules and models, made once per set of texts."""
    if texts not in _LOADED:
        directory = tmp_path_factory.mktemp("policies")
        paths = []
        for number, text in enumerate(texts):
            path = directory / f"policy-{number}.pol"
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        project = driver.load(paths)
        assert not project.has_errors
        _LOADED[texts] = [driver.load_module(p) for p in project.policies], [lower(p) for p in project.policies]
    return _LOADED[texts]


def _register(tmp_path, rng, rows, absent=()):
    lines = [",".join(COLUMNS)]
    for number in range(rows):
        applicant = rng.choice([f"E{number:02d}"] * 12 + ["E00", ""])  # now and then twice, or unnamed
        lines.append(",".join([
            applicant, rng.choice(["", "甲园", "乙园", "丙园"]),
            rng.choice(["", "60万元", "80万元", "100万元", "150万元", "150万元", "400万元", "1000万元"]),
            rng.choice(["", "50", "60", "60", "75", "80", "95", "95"]),
            rng.choice(["", "2", "3", "10", "10", "20"])]))
    if absent:  # columns the register does not have: their facts are unknown for every row
        kept = [i for i, name in enumerate(COLUMNS) if name not in absent]
        lines = [",".join(line.split(",")[i] for i in kept) for line in lines]
    path = tmp_path / "register.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SUMMARY_OVER_FINAL = """
    SELECT i.policy || ' ' || i.clause, count(*) FILTER (WHERE applies), count(*) FILTER (WHERE applies IS NULL),
           count(*) FILTER (WHERE paid_now), count(*) FILTER (WHERE allocation = 'outside_quota'),
           count(*) FILTER (WHERE allocation = 'outside_budget'), count(*) FILTER (WHERE allocation = 'list_over'),
           count(*) FILTER (WHERE allocation = 'needs_selection'),
           CAST(coalesce(sum(amount_min) FILTER (WHERE paid_now AND amount_max IS NOT NULL), 0) AS VARCHAR),
           CAST(coalesce(sum(amount_max) FILTER (WHERE paid_now AND amount_max IS NOT NULL), 0) AS VARCHAR)
    FROM final f JOIN clause_info i USING (pos) GROUP BY i.policy, i.clause, i.pos ORDER BY min(f._line), i.pos"""


@pytest.fixture
def recounted(monkeypatch):
    """Each DuckDB run's summary counts, recounted over `final` as they were counted before
    the summary read clause_rows and the allocated rows apart."""
    seen = []
    summarise = sql_batch.Engine._summary

    def checked(self, loaded, quotas, budgets):
        summary = summarise(self, loaded, quotas, budgets)
        plain = {key: {"applies": a, "undecidable": u, "paid": p, "outside_quota": oq, "outside_budget": ob,
                       "list_over": lo, "needs_selection": ns, "min": low, "max": high}
                 for key, a, u, p, oq, ob, lo, ns, low, high in self.con.execute(SUMMARY_OVER_FINAL).fetchall()}
        funded_capped = self.con.execute("SELECT count(*) FROM allocation WHERE funded AND allocation = 'capped'")
        seen.append((summary["clauses"], plain, funded_capped.fetchone()[0]))
        return summary
    monkeypatch.setattr(sql_batch.Engine, "_summary", checked)
    return seen


@pytest.mark.parametrize("texts", [(RANKED, PRORATED_CAPPED), (PRORATED_CAPPED, RANKED)], ids=["ranked-first", "capped-first"])
@pytest.mark.parametrize("seed", range(4))
def test_both_engines_agree_on_quotas_budgets_and_caps(tmp_path, tmp_path_factory, recounted, texts, seed):
    rng = random.Random(seed)
    modules, models = _project(tmp_path_factory, texts)
    register = _register(tmp_path, rng, rng.choice([6, 9, 14, 30]))
    _assert_engines_agree(modules, models, register)
    for stats, plain, _funded_capped in recounted:
        plain = {key: {**value, "min": _yuan(value["min"]), "max": _yuan(value["max"])} for key, value in plain.items()}
        assert list(stats.items()) == list(plain.items())


def _assert_engines_agree(modules, models, register) -> None:
    """Both engines write the same bytes to stdout and stderr for `register`, with and without --all."""
    for include_all in (False, True):
        python_out, python_err = io.StringIO(), io.StringIO()
        batch.run(modules, str(register), "2023-06-30", python_out, python_err, include_all=include_all)
        sql_out, sql_err = io.StringIO(), io.StringIO()
        sql_batch.run(modules, str(register), "2023-06-30", sql_out, sql_err, include_all=include_all, models=models)
        assert sql_out.getvalue() == python_out.getvalue()
        assert sql_err.getvalue() == python_err.getvalue()


def _yuan(text):
    return runtime.yuan(Decimal(text))


@pytest.mark.parametrize("absent", [("园区",), ("参评总数", "评分")])
def test_both_engines_agree_when_a_ranking_or_grouping_column_is_absent(tmp_path, tmp_path_factory, absent):
    modules, models = _project(tmp_path_factory, (RANKED, PRORATED_CAPPED))
    register = _register(tmp_path, random.Random(7), 14, absent)
    python_out, python_err = io.StringIO(), io.StringIO()
    batch.run(modules, str(register), "2023-06-30", python_out, python_err)
    sql_out, sql_err = io.StringIO(), io.StringIO()
    sql_batch.run(modules, str(register), "2023-06-30", sql_out, sql_err, models=models)
    assert sql_out.getvalue() == python_out.getvalue() and sql_err.getvalue() == python_err.getvalue()
    assert '"unplaced"' in sql_out.getvalue() or "needs_selection" in sql_out.getvalue()


def test_the_registers_reach_every_allocation(tmp_path, tmp_path_factory, recounted):
    """The registers above meet each allocation, cut-offs, unplaced candidates, and a pro-rated
    award that is then capped (its funded amounts and its mark both come from `allocation`)."""
    seen = set()
    for texts in [(RANKED, PRORATED_CAPPED)]:
        modules, models = _project(tmp_path_factory, texts)
        for seed in range(4):
            rng = random.Random(seed)
            register = _register(tmp_path, rng, rng.choice([6, 9, 14, 30]))
            out = io.StringIO()
            summary = sql_batch.run(modules, str(register), "2023-06-30", out, io.StringIO(), models=models)
            seen |= {word for word in ("within_quota", "outside_quota", "needs_selection", "list_over",
                                       "within_budget", "outside_budget", "prorated", "capped") if word in out.getvalue()}
            seen |= {key for quota in summary["quotas"].values() for group in quota.get("groups", [quota])
                     for key in ("cut_off", "over_by") if key in group}
            seen |= {"unplaced"} if any("unplaced" in quota for quota in summary["quotas"].values()) else set()
    assert seen == {"within_quota", "outside_quota", "needs_selection", "list_over", "within_budget",
                    "outside_budget", "prorated", "capped", "cut_off", "over_by", "unplaced"}
    assert any(funded_capped for _stats, _plain, funded_capped in recounted)


@pytest.mark.parametrize("seed", range(3))
def test_compressed_clause_rows_and_totals_per_slice_agree_with_the_python_engine(tmp_path, tmp_path_factory,
                                                                                  monkeypatch, seed):
    """A large register's path (sql_batch.COMPRESS_SHARE: clause_rows compressed, then the
    totals made slice by slice just before each slice's lines are written), forced on small
    registers in slices of 1 to 4 lines: quotas, budgets, a pro-rated award then capped and
    caps per enterprise give the Python engine's bytes, with and without --all."""
    monkeypatch.setattr(sql_batch, "COMPRESS_SHARE", 0)
    monkeypatch.setattr(sql_batch, "OUTPUT_SLICE", seed + 1 if seed < 2 else 4)
    compressed = []
    totals = sql_batch.Engine._write_jsonl

    def observed(self, out):
        compressed.append(self.compressed)
        totals(self, out)
    monkeypatch.setattr(sql_batch.Engine, "_write_jsonl", observed)
    rng = random.Random(seed)
    modules, models = _project(tmp_path_factory, (PRORATED_CAPPED, RANKED))
    register = _register(tmp_path, rng, rng.choice([9, 14, 30]))
    _assert_engines_agree(modules, models, register)
    assert compressed == [True, True]


@pytest.mark.parametrize("compress", [False, True])
def test_two_amounts_read_per_applicant_agree_with_the_python_engine(tmp_path, tmp_path_factory, monkeypatch,
                                                                     recounted, compress):
    """Clause rows with two amounts read per applicant (v1 and v2 beside the code) and one
    (v1 only), with quotas and budgets of other policies, as kept (and, forced, compressed):
    both engines write the same bytes, and the summary summed per code equals the one
    counted over `final`."""
    if compress:
        monkeypatch.setattr(sql_batch, "COMPRESS_SHARE", 0)
    columns = []
    rows = sql_batch.Engine._clause_rows

    def observed(self):
        rows(self)
        columns.append([name for name, _type in self._coded()["columns"]])
    monkeypatch.setattr(sql_batch.Engine, "_clause_rows", observed)
    modules, models = _project(tmp_path_factory, (TWO_AMOUNTS, RANKED))
    for seed in range(3):
        rng = random.Random(seed)
        register = _register(tmp_path, rng, rng.choice([9, 14, 30]))
        _assert_engines_agree(modules, models, register)
    assert all("v1" in found and "v2" in found for found in columns), columns
    for stats, plain, _funded_capped in recounted:
        plain = {key: {**value, "min": _yuan(value["min"]), "max": _yuan(value["max"])} for key, value in plain.items()}
        assert list(stats.items()) == list(plain.items())
    assert any(stats["测试〔2026〕3号 第一条"]["paid"] for stats, _plain, _f in recounted)
