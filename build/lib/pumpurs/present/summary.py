"""One-screen summaries of a data set for people (validate's answer)."""

from __future__ import annotations

from pumpurs.core.dataset import Dataset


def dataset_summary(ds: Dataset) -> str:
    e, p = ds.expenditures, ds.support_plans
    lines = [f"{ds.folder}: valid (fingerprint {ds.fingerprint})"]
    for name, src in ds.sources.items():
        lines.append(f"  {name:<14} {len(ds.table(name)):>9,} rows   {src.label} ({src.dialect})")
    if len(e):
        lines.append(
            f"  service months {e['service_month'].min()} to {e['service_month'].max()}; "
            f"paid {e['paid_on'].min():%d.%m.%Y} to {e['paid_on'].max():%d.%m.%Y}"
        )
    if len(p):
        lines.append(f"  plans for semesters {p['semester'].min()} to {p['semester'].max()}")
    partners = ds.partners
    lines.append(
        f"  {len(partners)} partners in {partners['municipality'].nunique()} municipalities "
        f"({(partners['kind'] == 'vpil').sum()} VPIL), {len(ds.schools)} schools, "
        f"{p['student_id'].nunique():,} pupils"
    )
    return "\n".join(lines)
