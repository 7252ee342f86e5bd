"""Postgres statement statistics for a scenario (pg_stat_statements): which
statements a scenario's Postgres time went to, so a missed target names what
limits it. Used only where the server preloads the extension
(`shared_preload_libraries`); elsewhere (a fresh machine, CI) the report says
the statistics were not available, and nothing else changes."""
import subprocess


def _psql(url, sql):
    r = subprocess.run(["psql", url, "-qtA", "-F", "\t", "-c", sql], capture_output=True, text=True)
    return r.returncode == 0, r.stdout


def available(url):
    ok, _ = _psql(url, "create extension if not exists pg_stat_statements")
    return ok and _psql(url, "select 1 from pg_stat_statements limit 1")[0]


def reset(url):
    _psql(url, "select pg_stat_statements_reset()")


def top(url, n=12):
    """The `n` statements of this database with the most execution time."""
    ok, out = _psql(url, f"""
        select calls, round(total_exec_time::numeric, 0), round((total_exec_time / calls)::numeric, 3),
               round((100 * total_exec_time / sum(total_exec_time) over ())::numeric, 1),
               regexp_replace(left(query, 160), '\\s+', ' ', 'g')
        from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) and calls > 0
        order by total_exec_time desc limit {n}""")
    if not ok:
        return []
    rows = []
    for line in out.splitlines():
        calls, total, mean, share, query = line.split("\t", 4)
        rows.append({"calls": int(calls), "total_ms": float(total), "mean_ms": float(mean), "share": float(share),
                     "query": query})
    return rows


def markdown(rows):
    lines = ["| calls | total ms | mean ms | share | statement |", "|---|---|---|---|---|"]
    for r in rows:
        q = r["query"].replace("|", "\\|")
        lines.append(f"| {r['calls']} | {r['total_ms']:g} | {r['mean_ms']:g} | {r['share']:g}% | `{q}` |")
    return lines
