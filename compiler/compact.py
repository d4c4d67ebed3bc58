"""Compact batch results: what `polc eval … --batch` writes by default, for every engine.

One JSON line per evaluated enterprise, in register order, then one `{"summary": …}` line.
A line groups the listed clauses under their policy, then under their reason code:

    {"line":12,"申请人":"A001","policies":{"嘉政发〔2020〕6号":{
       "paid":{"第五条":["exact","300000.00"],"第十五条第2项":["range","10000.00","50000.00"]},
       "undecidable":{"第七条":"2000000.00","第十三条":null}}},
     "total":{"min":"300000.00","max":"2350000.00"}}

A clause's value: for `undecidable`, what it could pay at most (`could_pay`, null when it
states no bound); otherwise its award as `[kind, min, max]` — `max` left out when it equals
`min`, both left out for an award with no amount (then the value is the kind alone, e.g.
`"routing"`), null for a clause with no award (a modifier) — followed by an object of what
else the row holds (`allocation` when it is not already the reason, `funding`).

It is a projection of the full record (`--trace`, the `polc eval` JSON contract): the
clauses that apply or cannot be decided (every clause with `--all`), each with a reason code
instead of the Chinese reason and trace. `project` gives the record as rows (one dict per
clause: policy, clause, reason, kind, min, max, could_pay, allocation, funding) — the
definition the engines are tested against, and what CSV and Parquet write; `grouped` turns
it into the line written, and `flatten` back (nothing is lost). The Python engine builds the
rows straight from its results (`batch.compact_clause`) so as not to build the full record
first; the DuckDB engine builds the same line in SQL.

The DuckDB engine imports the names and the writers from here, so both engines write the
same bytes: `Reason`, `CSV_COLUMNS`, `writer_for`.
"""

from __future__ import annotations

import csv
import enum
import json
import os
import tempfile
from typing import IO, Iterable


class Reason(enum.StrEnum):
    """Why a listed clause pays what it pays (the `reason` of a compact clause row)."""

    PAID = "paid"                      # applies and pays (within its quota or budget, if any)
    UNDECIDABLE = "undecidable"        # a fact it needs is missing (`could_pay`: the most it could pay)
    NOT_HIGHEST = "not_highest"        # 就高不重复: another clause pays the same matter
    MODIFIER = "modifier"              # applies; scales another matter's awards, pays nothing itself
    ROUTING = "routing"                # applies; the outcome is not money (who decides)
    OUTSIDE_QUOTA = "outside_quota"    # ranked past the quota's limit: not paid
    OUTSIDE_BUDGET = "outside_budget"  # ranked past the budget: not paid
    NEEDS_SELECTION = "needs_selection"  # more qualify than places or money, no order: reviewers choose
    LIST_OVER = "list_over"            # a percentage quota exceeded by the list: its proposers cut it
    NOT_APPLICABLE = "not_applicable"  # does not apply (listed only with --all)


# Allocations that take the pay away (until the reviewers or proposers decide): the reason
# is the allocation itself. within_quota / within_budget leave the clause paid.
UNPAID_ALLOCATIONS = frozenset({Reason.OUTSIDE_QUOTA, Reason.OUTSIDE_BUDGET, Reason.NEEDS_SELECTION,
                                Reason.LIST_OVER})

IDENTIFIER = "申请人"

# One row per listed clause; an enterprise with no listed clause has no row.
CSV_COLUMNS = ("line", IDENTIFIER, "policy", "clause", "reason", "kind", "min", "max", "could_pay", "allocation")

# Compact JSON: no spaces after separators (a tenth of the bytes), Chinese as it is.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def label(clause: dict) -> str:
    """第十二条第2项 from a full clause row (article and item)."""
    return clause["article"] + (f"第{clause['item']}项" if clause["item"] is not None else "")


def reason(clause: dict) -> Reason:
    """The reason code of a full clause row (after quotas and budgets)."""
    if clause["applies"] is False:
        return Reason.NOT_APPLICABLE
    if clause["applies"] is None:
        return Reason.UNDECIDABLE
    allocation = clause.get("allocation")
    if allocation in UNPAID_ALLOCATIONS:
        return Reason(allocation)
    if "modifies" in clause:
        return Reason.MODIFIER
    award = clause["award"]
    if award is None:
        raise ValueError(f"{clause['policy']}{label(clause)}: applies, not a modifier, and no award")
    if not clause["paid"]:
        return Reason.NOT_HIGHEST
    return Reason.ROUTING if award["kind"] == "routing" else Reason.PAID


def project_clause(clause: dict) -> dict:
    """The compact row of one full clause row."""
    why = reason(clause)
    row = {"policy": clause["policy"], "clause": label(clause), "reason": why}
    award = clause["award"]
    if award is not None:
        row["kind"] = award["kind"]
        if award["min"] is not None:
            row["min"] = award["min"]
        if award["max"] is not None:
            row["max"] = award["max"]
    if why is Reason.UNDECIDABLE and clause.get("could_pay") is not None:
        row["could_pay"] = clause["could_pay"]
    if clause.get("allocation") is not None:
        row["allocation"] = clause["allocation"]
    if why is Reason.PAID and clause.get("funding") is not None:
        row["funding"] = clause["funding"]
    return row


def project_total(total: dict) -> dict:
    """min and max as in the full contract; `open` and `undecided` only when not empty."""
    row = {"min": total["min"], "max": total["max"]}
    if total.get("open"):
        row["open"] = list(total["open"])
    if total.get("undecided"):
        row["undecided"] = list(total["undecided"])
    return row


def project(record: dict) -> dict:
    """The compact record of one full batch record (`--trace`)."""
    return {"line": record["line"], IDENTIFIER: record["applicant"],
            "clauses": [project_clause(c) for c in record["clauses"]], "total": project_total(record["total"])}


# ---------------------------------------------------------------- the line written (JSON Lines)
# Keys of a clause row that the grouped line carries in its structure (policy, reason, the
# clause's key) or in the award array; any other key goes into the trailing object.
_PLACED = ("policy", "clause", "reason", "kind", "min", "max", "could_pay")


def clause_value(row: dict):
    """The value of one clause row under its policy and reason (see the module docstring)."""
    if row["reason"] == Reason.UNDECIDABLE:
        return row.get("could_pay")
    parts: list = []
    if "kind" in row:
        parts.append(row["kind"])
        if "min" in row:
            parts.append(row["min"])
        if "max" in row and row["max"] != row.get("min"):
            parts.append(row["max"])
        elif "min" in row and "max" not in row:
            parts.append(None)  # no maximum (at_least): null, so that flatten does not read max = min
    extra = {key: value for key, value in row.items()
             if key not in _PLACED and not (key == "allocation" and value == row["reason"])}
    if extra:
        parts.append(extra)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 and "kind" in row else parts


def grouped(record: dict) -> dict:
    """The JSON line of a compact record: clauses under their policy, then their reason
    (groups and clauses in the order listed, which is policy and clause order)."""
    policies: dict = {}
    for row in record["clauses"]:
        policies.setdefault(row["policy"], {}).setdefault(row["reason"], {})[row["clause"]] = clause_value(row)
    return {"line": record["line"], IDENTIFIER: record[IDENTIFIER], "policies": policies, "total": record["total"]}


def flatten(line: dict) -> dict:
    """The compact record (rows in policy and clause order) of a JSON line: `grouped` undone.
    Clause order within a policy is the order of the reason groups, then within each group."""
    rows = []
    for policy, reasons in line["policies"].items():
        for why, clauses in reasons.items():
            for label, value in clauses.items():
                row = {"policy": policy, "clause": label, "reason": why}
                if why == Reason.UNDECIDABLE:
                    if value is not None:
                        row["could_pay"] = value
                elif value is not None:
                    parts = [value] if isinstance(value, str) else list(value)
                    extra = parts.pop() if parts and isinstance(parts[-1], dict) else {}
                    if parts:
                        row["kind"] = parts[0]
                        if len(parts) > 1:
                            row["min"] = parts[1]
                            if len(parts) == 2 or parts[2] is not None:  # null: no maximum (at_least)
                                row["max"] = parts[2] if len(parts) > 2 else parts[1]
                    if why in UNPAID_ALLOCATIONS and "allocation" not in extra:
                        row["allocation"] = why
                    row.update(extra)
                rows.append(row)
    return {"line": line["line"], IDENTIFIER: line[IDENTIFIER], "clauses": rows, "total": line["total"]}


def csv_rows(record: dict) -> Iterable[tuple]:
    """The CSV rows (CSV_COLUMNS) of one compact record."""
    for clause in record["clauses"]:
        yield (record["line"], record[IDENTIFIER], clause["policy"], clause["clause"], clause["reason"],
               clause.get("kind"), clause.get("min"), clause.get("max"), clause.get("could_pay"),
               clause.get("allocation"))


# ---------------------------------------------------------------- writers
class JsonLinesWriter:
    """Compact records, one JSON line each, then `{"summary": …}` as the last line. Full
    records (`--trace`) are written as they always were (the default JSON separators)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def record(self, record: dict) -> None:
        self.stream.write(_encode(grouped(record)) + "\n")

    def full(self, record: dict) -> None:
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")

    def summary(self, summary: dict) -> None:
        self.stream.write(json.dumps({"summary": summary}, ensure_ascii=False) + "\n")


class CsvWriter:
    """One row per listed clause (CSV_COLUMNS), UTF-8 with a byte-order mark so that Excel
    reads the Chinese as Chinese; an empty cell is a value that is not there. The summary
    goes to a JSON file beside it (`results.csv` → `results.summary.json`), see `summary_path`."""

    def __init__(self, stream: IO[str], summary_stream: IO[str], mark: bool = True):
        self.stream = stream
        self.summary_stream = summary_stream
        if mark:
            stream.write("\ufeff")
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow(CSV_COLUMNS)

    def record(self, record: dict) -> None:
        self.writer.writerows(csv_rows(record))

    def summary(self, summary: dict) -> None:
        self.summary_stream.write(json.dumps({"summary": summary}, ensure_ascii=False, indent=1) + "\n")


PARQUET_TYPES = {"line": "BIGINT", "min": "DECIMAL(38,2)", "max": "DECIMAL(38,2)", "could_pay": "DECIMAL(38,2)"}


class ParquetWriter(CsvWriter):
    """The CSV rows, typed (line BIGINT, money DECIMAL(38,2), the rest VARCHAR), written as
    Parquet by DuckDB: the rows go to a CSV spool first and DuckDB converts it on `finish`."""

    def __init__(self, target: str, summary_stream: IO[str]):
        self.target = target
        self.spool = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", suffix=".csv", delete=False)
        super().__init__(self.spool, summary_stream, mark=False)

    def finish(self) -> None:
        import duckdb
        self.spool.close()
        columns = {name: PARQUET_TYPES.get(name, "VARCHAR") for name in CSV_COLUMNS}
        try:
            connection = duckdb.connect()
            relation = connection.read_csv(self.spool.name, header=True, columns=columns, encoding="utf-8")
            relation.write_parquet(self.target)
            connection.close()
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the CSV spool (also when the run failed or was interrupted)."""
        self.spool.close()
        try:
            os.unlink(self.spool.name)
        except FileNotFoundError:
            pass


def summary_path(out: str) -> str:
    """Where the summary of a CSV or Parquet result goes: beside it, `NAME.summary.json`."""
    root, _extension = os.path.splitext(out)
    return root + ".summary.json"


def output_format(out: str | None) -> str:
    """`jsonl`, `csv` or `parquet`, by the extension of --out (standard output: jsonl)."""
    if out is None:
        return "jsonl"
    extension = os.path.splitext(out)[1].lower()
    return {".csv": "csv", ".parquet": "parquet"}.get(extension, "jsonl")
