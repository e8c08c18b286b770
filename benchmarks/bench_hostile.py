"""Benchmark hostile files: each must be answered (read, or refused with named problems)
in at most 60 s and 2 GB, whatever it holds, up to 200 MB.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_hostile.py              # every case, 200 MB files
    .venv/bin/python benchmarks/bench_hostile.py --mb 50      # smaller files, quicker
    .venv/bin/python benchmarks/bench_hostile.py --case junk-rows

Cases (each a copy of the small demo with one file spoiled):
- `junk-rows`: expenditures.csv of well-formed rows that break every rule.
- `wrong-width`: expenditures.csv of rows with the wrong number of fields.
- `unclosed-quote`: a quote opened near the top of a large expenditures.csv.
- `long-rows`: expenditures.csv whose rows are 1 MB notes.
- `xlsx-bomb`: a workbook of about 1 MB that unpacks to hundreds of MB of XML.
- `xlsx-far-cell`: a workbook whose used range reaches XFD1048576.
- `parquet-bomb`: an outcomes.parquet of some 0.2 MB holding 20 million repeated rows.
- `parquet-long-values`: an outcomes.parquet of one million rows, each a repeated 10 KB
  value kept once in the file's dictionary (30 GB once unpacked).
- `duckdb-view`: the demo in a DuckDB file whose `outcomes` is a view over
  `range(20000000)` (refused unfetched: more rows than a table may have).
- `duckdb-file-view`: a DuckDB file whose `partners` view reads a local file with
  `read_text` (refused: the file is opened with external access disabled).

Each case runs `pumpurs validate` in a fresh process; the time and peak resident memory
(`ru_maxrss` of that process, via wait4) are printed, with the exit status (2 = refused).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "hostile"
TARGET_SECONDS = 60.0
TARGET_MB = 2048.0


def _demo() -> Path:
    folder = OUT / "demo"
    if not (folder / "partners.csv").exists() and not (folder / "data.xlsx").exists():
        from pumpurs.demo import write_demo

        write_demo(folder, scale="small", seed=1)
        (folder / "expected_findings.csv").unlink(missing_ok=True)
    return folder


def _copy(name: str) -> Path:
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(_demo(), folder)
    return folder


def _write_lines(path: Path, header: bytes, line: Callable[[int], bytes], mb: int) -> None:
    limit = mb << 20
    with path.open("wb") as f:
        f.write(header)
        size, i = len(header), 0
        batch = max(1, min(10_000, limit // (8 * len(line(0)))))
        while size < limit:
            chunk = b"".join(line(j) for j in range(i, i + batch))
            f.write(chunk)
            size += len(chunk)
            i += batch


def _header(folder: Path) -> bytes:
    return (folder / "expenditures.csv").read_bytes().split(b"\n", 1)[0] + b"\n"


def junk_rows(mb: int) -> Path:
    folder = _copy("junk-rows")
    _write_lines(
        folder / "expenditures.csv",
        _header(folder),
        lambda i: f"J{i:09d};P999;S9;x{i};teleport;13-13;32.13.2020;12,345;;;;\n".encode(),
        mb,
    )
    return folder


def wrong_width(mb: int) -> Path:
    folder = _copy("wrong-width")
    _write_lines(
        folder / "expenditures.csv", _header(folder), lambda i: f"W{i};P001;x\n".encode(), mb
    )
    return folder


def unclosed_quote(mb: int) -> Path:
    folder = _copy("unclosed-quote")
    path = folder / "expenditures.csv"
    lines = path.read_bytes().split(b"\n")
    body = b"\n".join(lines[1:]).rstrip(b"\n") + b"\n"
    header = lines[0] + b"\n" + lines[1].rstrip(b"\r") + b'"notes\n'
    repeat = max(1, (mb << 20) // max(len(body), 1))
    with path.open("wb") as f:
        f.write(header)
        for _ in range(repeat):
            f.write(body)
    return folder


def long_rows(mb: int) -> Path:
    folder = _copy("long-rows")
    note = "x" * (1 << 20)
    _write_lines(
        folder / "expenditures.csv",
        _header(folder),
        lambda i: f"L{i};P001;;;coordination;2018-01;05.02.2018;1,00;{note};;;\n".encode(),
        mb,
    )
    return folder


def xlsx_bomb(mb: int) -> Path:
    """Rows of repeated cells compress some 200:1; the zip stays near 1 MB."""
    folder = _copy("xlsx-bomb")
    source = folder / "data.xlsx"
    bomb = folder / "bomb.xlsx"
    row = "".join(f'<c t="inlineStr"><is><t>{"a" * 50}</t></is></c>' for _ in range(20))
    with zipfile.ZipFile(source) as z_in, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for item in z_in.infolist():
            data = z_in.read(item.filename)
            if item.filename.endswith("sheet2.xml"):  # the schools sheet
                head, _, _ = data.partition(b"<sheetData>")
                with z.open(item.filename, "w", force_zip64=True) as w:
                    w.write(head + b"<sheetData>")
                    rows = (mb << 20) // len(row)
                    for r in range(1, rows + 1):
                        w.write(f'<row r="{r}">{row}</row>'.encode())
                    w.write(b"</sheetData></worksheet>")
            else:
                z.writestr(item, data)
    bomb.replace(source)
    return folder


def xlsx_far_cell(mb: int) -> Path:
    import openpyxl

    folder = _copy("xlsx-far-cell")
    book = openpyxl.load_workbook(folder / "data.xlsx")
    book["schools"].cell(row=1048576, column=16384).value = " "
    book.save(folder / "data.xlsx")
    return folder


def _outcomes_of_one_value(folder: Path, rows: int, value: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array([value]))
    table = pa.table({"student_id": column, "school_year": column, "status": column})
    pq.write_table(table, folder / "outcomes.parquet", compression="zstd")


def parquet_bomb(mb: int) -> Path:
    folder = _copy("parquet-bomb")
    _outcomes_of_one_value(folder, 20_000_000, "continues")
    return folder


def parquet_long_values(mb: int) -> Path:
    folder = _copy("parquet-long-values")
    _outcomes_of_one_value(folder, 1_000_000, "x" * 10_000)
    return folder


def _duckdb(name: str, *statements: str) -> Path:
    """The demo in a DuckDB file, changed by `statements` (how a hostile file is made)."""
    import duckdb

    from pumpurs.sources import load
    from pumpurs.sources.database import write_dataset

    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "hostile.duckdb"
    write_dataset(load(_demo()), str(path))
    with duckdb.connect(str(path)) as con:
        for sql in statements:
            con.execute(sql)
    return path


def duckdb_view(mb: int) -> Path:
    return _duckdb(
        "duckdb-view",
        "DROP TABLE outcomes",
        "CREATE VIEW outcomes AS SELECT 'S' || i AS student_id, '2020/2021' AS school_year, "
        "'continues' AS status FROM range(20000000) AS t(i)",
    )


def duckdb_file_view(mb: int) -> Path:
    return _duckdb(
        "duckdb-file-view",
        "ALTER TABLE partners RENAME TO partners_t",
        "CREATE VIEW partners AS SELECT partner_id, (SELECT content FROM "
        "read_text('/etc/hostname')) AS name, kind, municipality, agreement_date, "
        "allocation_eur FROM partners_t",
    )


CASES: dict[str, Callable[[int], Path]] = {
    "junk-rows": junk_rows,
    "wrong-width": wrong_width,
    "unclosed-quote": unclosed_quote,
    "long-rows": long_rows,
    "xlsx-bomb": xlsx_bomb,
    "xlsx-far-cell": xlsx_far_cell,
    "parquet-bomb": parquet_bomb,
    "parquet-long-values": parquet_long_values,
    "duckdb-view": duckdb_view,
    "duckdb-file-view": duckdb_file_view,
}


def measure(folder: Path) -> tuple[float, float, int, str]:
    """(seconds, peak MB, exit status, first line of the answer) of one validate."""
    cli = Path(sys.executable).with_name("pumpurs")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(cli), "validate", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    answer = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    lines = [line for line in answer.splitlines() if line.strip()] or ["(nothing printed)"]
    first = lines[1] if len(lines) > 1 and lines[0].startswith("The data has") else lines[0]
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="size of each spoiled file")
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"{'case':<16} {'file MB':>8} {'seconds':>8} {'peak MB':>8} exit  answer")
    worst = 0
    for name in args.case or list(CASES):
        spoiled = CASES[name](args.mb)
        folder = spoiled if spoiled.is_dir() else spoiled.parent
        size = sum(p.stat().st_size for p in folder.iterdir()) / (1 << 20)
        seconds, peak, code, first = measure(spoiled)
        ok = seconds <= TARGET_SECONDS and peak <= TARGET_MB and code in (0, 2)
        worst = max(worst, 0 if ok else 1)
        print(f"{name:<16} {size:8.0f} {seconds:8.1f} {peak:8.0f} {code:4d}  {first[:90]}")
        shutil.rmtree(folder, ignore_errors=True)
    print(f"targets: ≤ {TARGET_SECONDS:.0f} s, ≤ {TARGET_MB:.0f} MB, exit 0 or 2 (never a crash)")
    return worst


if __name__ == "__main__":
    sys.exit(main())
