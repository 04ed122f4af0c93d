#!/usr/bin/env python3
"""CPU cost of one chDB insert, by rows per insert and column types (bench/README.md,
"Where a chDB insert's CPU goes, and LowCardinality").

Usage: python3 bench/chdb_insert_cost.py LIBCHDB STORE_DIR [ROWS] [INSERTS]

STORE_DIR is the `analytics` folder of a data directory that `bklit serve` has started on
once (so that it holds the `events` table). The script copies that table's DDL into
scratch tables (merges stopped), writes ROWS generated rows as one RowBinary file, inserts
it INSERTS times into each variant, alternating, and prints wall and process CPU per insert.
Scratch tables are dropped at the end; `events` is only read.
"""
import ctypes
import itertools
import os
import resource
import sys
import tempfile
import time

LIB, STORE = sys.argv[1], sys.argv[2]
ROWS = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
INSERTS = int(sys.argv[4]) if len(sys.argv) > 4 else 30

lib = ctypes.CDLL(LIB)
lib.chdb_connect.restype = ctypes.c_void_p
lib.chdb_connect.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
lib.chdb_query_n.restype = ctypes.c_void_p
lib.chdb_query_n.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                             ctypes.c_char_p, ctypes.c_size_t]
lib.chdb_result_error.restype = ctypes.c_char_p
lib.chdb_result_error.argtypes = [ctypes.c_void_p]
lib.chdb_result_buffer.restype = ctypes.c_void_p
lib.chdb_result_buffer.argtypes = [ctypes.c_void_p]
lib.chdb_result_length.restype = ctypes.c_size_t
lib.chdb_result_length.argtypes = [ctypes.c_void_p]
lib.chdb_destroy_query_result.argtypes = [ctypes.c_void_p]

args = [b"bklit", ("--path=" + STORE).encode(), b"--", b"--background_pool_size=2"]
handle = lib.chdb_connect(len(args), (ctypes.c_char_p * len(args))(*args))
if not handle:
    sys.exit("chdb_connect failed")
conn = ctypes.c_void_p(ctypes.cast(handle, ctypes.POINTER(ctypes.c_void_p))[0])


def q(sql, fmt="TSVRaw"):
    b, f = sql.encode(), fmt.encode()
    r = lib.chdb_query_n(conn, b, len(b), f, len(f))
    err = lib.chdb_result_error(r)
    n = lib.chdb_result_length(r)
    out = ctypes.string_at(lib.chdb_result_buffer(r), n) if n else b""
    lib.chdb_destroy_query_result(r)
    if err:
        raise RuntimeError(err.decode(errors="replace")[:400])
    return out.decode(errors="replace")


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bench(name, fn, n):
    c0, t0 = cpu(), time.perf_counter()
    for _ in range(n):
        fn()
    print("%-42s %8.2f ms wall %8.2f ms cpu per statement"
          % (name, (time.perf_counter() - t0) * 1000 / n, (cpu() - c0) * 1000 / n), flush=True)


ddl = q("SHOW CREATE TABLE events")
dedup = ", non_replicated_deduplication_window = 1000"
if dedup not in ddl:
    sys.exit("unexpected events DDL (no dedup window): " + ddl[:200])
variants = {  # name -> (drop the dedup window, LowCardinality(String) -> String)
    "cost_today": (False, False), "cost_nodedup": (True, False),
    "cost_string": (True, True), "cost_string_dedup": (False, True)}
for name, (nodedup, nolc) in variants.items():
    d = ddl.replace("default.events", name)
    if nodedup:
        d = d.replace(dedup, "")
    if nolc:
        d = d.replace("LowCardinality(String)", "String")
    q("DROP TABLE IF EXISTS " + name)
    q(d)
    q("SYSTEM STOP MERGES " + name)

scratch = tempfile.TemporaryDirectory()
rows_file = os.path.join(scratch.name, "rows.rb")
# Sessions of six events, a few dozen pages, a handful of sources, countries and browsers.
q(f"""INSERT INTO cost_nodedup SELECT 'proj-1', now() - number % 3600,
 toUnixTimestamp64Milli(now64(3)) - number, toUnixTimestamp64Milli(now64(3)), 1,
 toString(generateUUIDv4()), concat('s-', toString(intDiv(number, 6))), cityHash64(intDiv(number, 6)),
 concat('https://example.com/page/', toString(number % 97), '?a=1'), 'example.com',
 concat('/page/', toString(number % 97)), 'a=1', 'https://www.google.com/search', 'www.google.com',
 'Google', 'Organic Search', ['', 'google', 'newsletter'][number % 3 + 1], ['', 'cpc', 'email'][number % 3 + 1],
 ['', 'spring', 'launch'][number % 3 + 1], '', '', '', '', ['US', 'DE', 'FR', 'GB', 'JP'][number % 5 + 1],
 ['CA', 'BE', 'IDF', 'ENG', '13'][number % 5 + 1],
 ['San Francisco', 'Berlin', 'Paris', 'London', 'Tokyo'][number % 5 + 1],
 ['Chrome', 'Firefox', 'Safari'][number % 3 + 1], '120', ['Windows', 'macOS', 'Linux'][number % 3 + 1], '10',
 ['desktop', 'mobile'][number % 2 + 1], 0, 1920, 1080, 1280, 720, 'desktop', 'en-US', 'Europe/Berlin',
 number % 2, concat('/page/', toString(number % 7)), '', 'pageview', ['k1', 'k2'], ['v1', 'v2'], 0, number
 FROM numbers({ROWS})""")
q(f"SELECT * FROM cost_nodedup INTO OUTFILE '{rows_file}' TRUNCATE FORMAT RowBinary")
q("TRUNCATE TABLE cost_nodedup")
print(f"{ROWS} rows per insert, {os.path.getsize(rows_file)} bytes of RowBinary, {INSERTS} inserts per line")

token = itertools.count()
bench("SELECT 1", lambda: q("SELECT 1"), 50)
for _ in range(2):
    for name, (nodedup, nolc) in variants.items():
        label = ("String" if nolc else "LowCardinality") + (", no dedup" if nodedup else ", dedup token")
        bench(label, lambda n=name, d=nodedup: q(
            f"INSERT INTO {n} FROM INFILE '{rows_file}'"
            + ("" if d else f" SETTINGS insert_deduplication_token = 't{next(token)}'")
            + " FORMAT RowBinary"), INSERTS)
for name in variants:
    q("DROP TABLE " + name)
scratch.cleanup()
