"""export [PA|MLn] [--group NAME]: the evidence matrix as CSV for the appraisal team.

Examples:
  export
  export ML3 --group "Service Desk"
One row per practice in scope and work group: process area, goal, practice, work group, current rating and
note, and every piece of evidence (number, kind, date, link, note). Opens in any spreadsheet.
Without a target the matrix covers every process area (ML5 scope).
"""

from __future__ import annotations

import csv
import io

from handlers.core import Attachment, Context, Reply, Request, Section
from handlers.readiness import Readiness, Target, report_request
from handlers.support.cells import cell

USAGE = "export [PA|MLn] [--group NAME]"
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


def handle(request: Request, ctx: Context) -> Reply:
    asked = report_request(request, ctx, USAGE)
    store, target, group, ws = asked.store, asked.target or Target(level=5), asked.group, request.workspace_id
    readiness = Readiness.load(ctx, store, ws, target, group)
    keys = {p.key for p in readiness.practices}
    evidence: dict[tuple[int, str], list[str]] = {}
    for item in reversed(store.list_evidence(ws, group.id if group else None)):
        if item.practice_key in keys:
            text = f"#{item.id} {item.kind} {item.evidence_date.isoformat()}" + "".join(f" {x}" for x in (item.link, item.note) if x)
            evidence.setdefault((item.group_id, item.practice_key), []).append(text)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    rows = 0
    for p in readiness.practices:
        for g in readiness.groups:
            rating = readiness.ratings.get((g.id, p.key))
            items = evidence.get((g.id, p.key), [])
            row = (
                p.pa,
                ctx.model.pa(p.pa).name,
                p.goal_key,
                p.key,
                p.title,
                g.name,
                rating.value if rating else "",
                rating.note if rating else "",
                len(items),
                "\n".join(items),
            )
            writer.writerow([cell(v) for v in row])
            rows += 1
    day = store.clock().date().isoformat()
    filename = f"cmmi-evidence-{target.label}{'-' + group.name.replace(' ', '_') if group else ''}-{day}.csv"
    return Reply(
        text=f"Evidence matrix {filename}: {rows} rows",
        sections=(
            Section(
                title="Evidence matrix",
                body=f"{rows} rows ({len(readiness.groups)} work groups × {len(readiness.practices)} practices), as {filename}",
            ),
        ),
        data={"filename": filename, "rows": rows},
        attachments=(Attachment(filename=filename, media_type="text/csv", content=out.getvalue().encode("utf-8"), title=filename),),
    )
