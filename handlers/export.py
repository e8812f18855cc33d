"""export [PA|MLn] [--group NAME] [--format xlsx|csv] [--audit]: the evidence workbook for the appraisal team.

Examples:
  export
  export ML3 --group "Service Desk"
  export WMC --audit
  export ML2 --format csv
The workbook (XLSX) has a Summary sheet (readiness per maturity level, process area and goal, the suggested
roll-up and the rules applied), a Matrix (practices x work groups: the rating and evidence count, coloured by
rating, practices without evidence flagged), the Evidence (one row per item with its link, review-by date and
review status) and, with --audit, the Audit log of that evidence and those ratings.
--format csv writes the flat matrix instead: one row per practice and work group, for scripts.
Without a target it covers every process area (ML5 scope).
"""

from __future__ import annotations

import csv
import io
import re

from handlers.core import Attachment, Context, Reply, Request, Section, UserError
from handlers.support.cells import cell
from handlers.support.freshness import review_of
from handlers.support.readiness import Readiness, Snapshot, Target, report_request
from handlers.support.workbook import build_workbook
from store import Group, Store

USAGE = "export [PA|MLn] [--group NAME] [--format xlsx|csv] [--audit]"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"xlsx": XLSX, "csv": "text/csv"}
HEADER = (
    "process_area",
    "process_area_name",
    "goal",
    "practice",
    "practice_title",
    "work_group",
    "rating",
    "rating_note",
    "evidence_count",
    "evidence",
)


def _csv(ctx: Context, store: Store, ws: str, readiness: Readiness, group: Group | None) -> bytes:
    keys = {p.key for p in readiness.practices}
    evidence: dict[tuple[int, str], list[str]] = {}
    for item in reversed(store.evidence.list(workspace_id=ws, group_id=group.id if group else None)):
        if item.practice_key in keys:
            text = f"#{item.id} {item.kind} {item.evidence_date.isoformat()}" + "".join(f" {x}" for x in (item.link, item.note) if x)
            evidence.setdefault((item.group_id, item.practice_key), []).append(text)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for p in readiness.practices:
        for g in readiness.groups:
            rating = readiness.ratings.get((g.id, p.key))
            items = evidence.get((g.id, p.key), [])
            row = (
                p.pa, ctx.model.pa(p.pa).name, p.goal_key, p.key, p.title, g.name, rating.value if rating else "",
                rating.note if rating else "", len(items), "\n".join(items),
            )  # fmt: skip
            writer.writerow([cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def _xlsx(ctx: Context, store: Store, ws: str, snapshot: Snapshot, readiness: Readiness, group: Group | None, audit: bool) -> bytes:
    group_id = group.id if group else None
    review = review_of(ctx, store, ws)
    trail = None
    if audit:
        keys = {p.key for p in readiness.practices}
        ids = {e.id for e in store.evidence.list(workspace_id=ws, group_id=group_id, include_removed=True) if e.practice_key in keys}
        rated = {(g.id, k) for g in readiness.groups for k in keys}
        trail = store.audit.for_scope(workspace_id=ws, evidence_ids=ids, rating_keys=rated)
    return build_workbook(
        ctx.model, snapshot, readiness.target, store.evidence.list(workspace_id=ws, group_id=group_id), review_months=review.months, today=review.today,
        audit=trail, reviewed=store.freshness.reviewed(workspace_id=ws, group_id=group_id),
    )  # fmt: skip


def handle(request: Request, ctx: Context) -> Reply:
    asked = report_request(request, ctx, USAGE, options=("format",), flags=("audit",))
    store, target, group, ws = asked.store, asked.target or Target(level=5), asked.group, request.workspace_id
    kind = asked.options.get("format", "xlsx").lower().lstrip(".")
    if kind not in FORMATS:
        raise UserError(
            f"--format is xlsx (the workbook, the default) or csv (a flat table for scripts), not '{asked.options['format'][:40]}'."
        )
    if kind == "csv" and "audit" in asked.flags:
        raise UserError("The audit log is a sheet of the workbook: use --audit without --format csv.")
    snapshot = Snapshot.load(ctx, store, ws, group)
    readiness = Readiness.of(ctx.model, snapshot, target)
    rows = len(readiness.groups) * len(readiness.practices)
    if kind == "csv":
        content = _csv(ctx, store, ws, readiness, group)
    else:
        content = _xlsx(ctx, store, ws, snapshot, readiness, group, "audit" in asked.flags)
    day = store.clock().date().isoformat()
    # Group names may hold / ( ) & and spaces: the file name keeps letters, digits, dots and dashes.
    scope = "-" + re.sub(r"[^\w.-]+", "_", group.name).strip("_") if group else ""
    filename = f"cmmi-evidence-{target.label}{scope}-{day}.{kind}"
    what = "Evidence workbook" if kind == "xlsx" else "Evidence matrix"
    return Reply(
        text=f"{what} {filename}: {rows} rows",
        sections=(
            Section(
                title=what,
                body=f"{rows} rows ({len(readiness.groups)} work groups × {len(readiness.practices)} practices), as {filename}",
            ),
        ),
        data={"filename": filename, "rows": rows, "format": kind},
        attachments=(Attachment(filename=filename, media_type=FORMATS[kind], content=content, title=filename),),
    )
