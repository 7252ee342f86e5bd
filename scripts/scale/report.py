"""Merging the parts' histograms, and the suite's reports: JSON, markdown,
and an SVG plot of delivery latency by percentile."""
import math

import pgstat

QUANTILES = [0.5, 0.9, 0.99, 0.999]


def merge(hists):
    """[[value µs, count], …] lists from every part, merged."""
    acc = {}
    for h in hists:
        for v, c in h:
            acc[v] = acc.get(v, 0) + c
    return sorted(acc.items())


def quantile(h, q):
    total = sum(c for _, c in h)
    if total == 0:
        return None
    need, seen = q * total, 0
    for v, c in h:
        seen += c
        if seen >= need:
            return v
    return h[-1][0]


def summary(h):
    n = sum(c for _, c in h)
    out = {"count": n}
    for q in QUANTILES:
        v = quantile(h, q)
        out[f"p{q * 100:g}_ms"] = None if v is None else round(v / 1000, 2)
    out["max_ms"] = round(h[-1][0] / 1000, 2) if h else None
    return out


def fanout_totals(reports, kinds=("local", "remote")):
    """Sums the parts' counters and merges their histograms."""
    keys = ["posts_ok", "posts_failed", "expected", "unique", "lost", "duplicated", "replayed", "resync_required",
            "sockets_ended", "reconnects", "reconnect_failures", "sockets"]
    t = {k: sum(r[k] for r in reports) for k in keys}
    t["post_rate"] = round(sum(r["post_rate"] for r in reports), 1)
    t["recipients_mean"] = round(sum(r["recipients_mean"] * r["posts_ok"] for r in reports) / max(t["posts_ok"], 1), 1)
    t["first_error"] = next((r["first_error"] for r in reports if r.get("first_error")), None)
    hists = {k: merge(r["histograms"][k] for r in reports) for k in ("local", "remote", "replayed", "back")}
    hists["all"] = merge([hists[k] for k in kinds])
    t["latency"] = {k: summary(h) for k, h in hists.items() if h}
    return t, hists


def svg(curves, title):
    """Latency (ms, log) by percentile (0 … 99.99, on the usual 1/(1-q) axis)."""
    w, h, left, bottom, top, right = 800, 360, 70, 50, 40, 230
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    xmax = 4.0  # log10(1 / (1 - 0.9999))
    vals = [v for _, hist in curves for v, _ in hist] or [1000]
    lo = math.floor(math.log10(max(min(vals), 100) / 1000))
    hi = math.ceil(math.log10(max(vals) / 1000 + 1e-9)) or 1
    if hi <= lo:
        hi = lo + 1
    X = lambda q: left + (w - left - right) * min(math.log10(1 / max(1 - q, 1e-4)), xmax) / xmax
    Y = lambda ms: h - bottom - (h - top - bottom) * (math.log10(max(ms, 10 ** lo)) - lo) / (hi - lo)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>', f'<text x="{left}" y="22" font-size="14">{title}</text>']
    for e in range(lo, hi + 1):
        y = Y(10 ** e)
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{10 ** e:g} ms</text>')
    for q, label in [(0, "0"), (0.9, "90"), (0.99, "99"), (0.999, "99.9"), (0.9999, "99.99")]:
        x = X(q)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{h - bottom}" stroke="#eee"/>'
                   f'<text x="{x:.1f}" y="{h - bottom + 16}" text-anchor="middle">{label}</text>')
    out.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">percentile</text>')
    for i, (name, hist) in enumerate(curves):
        total = sum(c for _, c in hist)
        if not total:
            continue
        pts, seen = [], 0
        for v, c in hist:
            seen += c
            q = min(seen / total, 0.9999)
            pts.append(f"{X(q):.1f},{Y(v / 1000):.1f}")
        col = colours[i % len(colours)]
        out.append(f'<polyline fill="none" stroke="{col}" stroke-width="2" points="{" ".join(pts)}"/>')
        out.append(f'<rect x="{w - right + 12}" y="{top + 18 * i}" width="12" height="12" fill="{col}"/>'
                   f'<text x="{w - right + 30}" y="{top + 18 * i + 10}">{name} (n={total})</text>')
    out.append("</svg>")
    return "\n".join(out)


def fmt(v, unit=""):
    return "—" if v is None else f"{v:g}{unit}"


def markdown(r):
    """The markdown report of a suite run (`r` is the JSON report)."""
    lines = [f"# Scale suite, {r['started']}", "", f"Command: `{r['command']}`", "",
             f"World: {r['world']}", "", f"Postgres: {r.get('postgres', '?')}", "", "| # | Scenario | Target | Measured | Gap |", "|---|---|---|---|---|"]
    for s in r["scenarios"]:
        lines.append(f"| {s['id']} | {s['name']} | {s['target']} | {s['measured']} | {s['gap']} |")
    lines += ["", "## Resources by scenario", "",
              "CPU in cores (of 2) over the scenario's window; memory as PSS in MiB at its end.", "",
              "| Scenario | nodes CPU | nodes mem | Postgres CPU | Postgres mem | Redis CPU | Redis mem | loadgen CPU | loadgen mem |",
              "|---|---|---|---|---|---|---|---|---|"]
    for s in r["scenarios"]:
        u = s.get("usage")
        if not u:
            continue
        row = [s["id"]]
        for g in ("nodes", "postgres", "redis", "loadgen"):
            x = u.get(g, {})
            row += [fmt(x.get("cpu_cores")), fmt(x.get("mem_mib"))]
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    lines += ["", "## Details", ""]
    for s in r["scenarios"]:
        lines.append(f"### {s['id']}: {s['name']}")
        for k, v in s.get("details", {}).items():
            lines.append(f"- {k}: {v}")
        if s.get("limit"):
            lines.append(f"- what limits it: {s['limit']}")
        if "statements" in s:
            lines.append("")
            if s["statements"]:
                lines += ["Postgres statements by execution time over the scenario (pg_stat_statements):", ""]
                lines += pgstat.markdown(s["statements"])
            else:
                lines.append("Postgres statement statistics: not available (pg_stat_statements is not preloaded).")
        lines.append("")
    lines += ["![delivery latency by percentile](latency.svg)", ""]
    return "\n".join(lines)
