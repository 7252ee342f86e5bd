"""The scale suite (issue 17): seeds the world, starts the nodes on a Redis
of its own, runs the scenarios with several load-generator processes, and
writes report.json, report.md and latency.svg into a results folder.

Run through scripts/bench-scale (which builds and sets the environment);
`--smoke` is the small version scripts/test runs: it checks that the suite
works and that nothing is lost, never how fast anything is."""
import argparse, datetime, json, math, os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import pgstat, procs, report  # noqa: E402

# P2's conversations: those with 10 to 40 people online (about 20 on average).
RECIPIENTS = (10, 40)

# P4: a working day's peak, 11,250 requests/s, of which 600 are sends (run
# as P2's fan-out, so their deliveries are checked). Per second, for 75,000
# people online: a sidebar load per 100 people (tabs opened, reconnects), a
# history page per 25 (switching conversations), a read mark per 42, a
# presence read per 31 (a conversation's member list), a member search per 62
# (the switcher), a search per 250, and two typing frames per message sent.
MIX = {"sidebar": 750, "history": 3000, "mark": 1800, "presence": 2400, "users": 1200, "search": 300, "typing": 1200}


def args():
    a = argparse.ArgumentParser()
    a.add_argument("--smoke", action="store_true")
    a.add_argument("--workspaces", type=int, default=5000)
    a.add_argument("--mean", type=int, default=50)
    a.add_argument("--messages", type=int, default=10_000_000)
    # Each workspace's owner and 27.6% of everyone else: 75,000 of the 258,587.
    a.add_argument("--online", type=float, default=0.276)
    a.add_argument("--nodes", type=int, default=4)
    a.add_argument("--parts", type=int, default=5, help="load-generator processes")
    a.add_argument("--rate", type=float, default=600)
    a.add_argument("--seconds", type=float, default=30)
    a.add_argument("--hold", type=float, default=10)
    a.add_argument("--spread", type=float, default=30)
    a.add_argument("--ramp", default="1200,2400,4800", help="P3's rates after P2's")
    a.add_argument("--single-sockets", type=int, default=15000)
    a.add_argument("--mix-steps", default="0.1,0.2,0.4,1.0", help="P4's rates, as shares of the seed's peak")
    a.add_argument("--mix-seconds", type=float, default=10)
    a.add_argument("--p5-rate", type=float, default=330, help="P5's history and search requests/s")
    a.add_argument("--results", default="")
    a.add_argument("--only", default="P2,P3,P4,P5,P6,P2-1", help="scenarios to run (P1 always runs; P7 comes with P2 and P2-1)")
    a = a.parse_args()
    if a.smoke:
        a.workspaces, a.mean, a.messages, a.nodes, a.parts = 20, 50, 20000, 2, 2
        a.rate, a.seconds, a.hold, a.spread, a.ramp, a.single_sockets = 50, 6, 1, 3, "100", 2000
        a.mix_steps, a.mix_seconds, a.p5_rate = "0.01", 4, 30
    a.only = set(a.only.split(","))
    return a


def main():
    a = args()
    root = os.environ["ROOT"]; target = os.environ["CARGO_TARGET_DIR"]
    loadgen, server = f"{target}/release/loadgen", f"{target}/release/threadspace"
    db = "threadspace_scale_smoke" if a.smoke else "threadspace_scale"
    admin = os.environ["PG_ADMIN_URL"]
    db_url = f"{admin}/{db}"
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = a.results or f"{root}/target/scale/{started.replace(':', '')}"
    os.makedirs(results, exist_ok=True)
    work = tempfile.mkdtemp(prefix="threadspace-scale.")
    files = procs.raise_files()
    key = f"workspaces={a.workspaces} mean={a.mean} messages={a.messages} seed=0.42"
    psql = lambda url, sql: subprocess.run(["psql", url, "-tAc", sql], capture_output=True, text=True)
    if psql(db_url, "select params from loadgen_world").stdout.strip() != key:
        print(f"== a fresh database {db} for the world {key}", flush=True)
        subprocess.run(["psql", f"{admin}/postgres", "-qc", f"drop database if exists {db} with (force)"], check=True)
        subprocess.run(["psql", f"{admin}/postgres", "-qc", f"create database {db}"], check=True)
        subprocess.run([server, "migrate"], env=dict(os.environ, DATABASE_URL=db_url), check=True,
                       stdout=subprocess.DEVNULL)
    world = f"{work}/world.txt"
    t = time.monotonic()
    subprocess.run([loadgen, "seed", "--database-url", db_url, "--world", world, "--workspaces", str(a.workspaces),
                    "--mean", str(a.mean), "--messages", str(a.messages), "--online", str(a.online)], check=True)
    seed_secs = time.monotonic() - t
    sockets = sum(1 for line in open(world) if line.startswith("s "))
    counts = psql(db_url, "select (select count(*) from workspace), (select count(*) from member), "
                          "(select count(*) from channel), (select sum(last_seq) from channel)").stdout.strip().split("|")
    a.pgstat = db_url if pgstat.available(db_url) else None
    pg_settings = psql(db_url, "select string_agg(name || '=' || current_setting(name), ', ' order by name) from pg_settings "
                               "where name in ('shared_buffers', 'max_connections', 'synchronous_commit', 'work_mem')").stdout.strip()
    rep = {"started": started, "command": " ".join(["scripts/bench-scale"] + sys.argv[1:]), "cores": os.cpu_count(),
           "open_files_per_process": files, "world": f"{counts[0]} workspaces, {counts[1]} people, {counts[2]} "
           f"conversations, {counts[3]} messages; {sockets} online (one socket each); seeding/export {seed_secs:.0f}s",
           "postgres": pg_settings + (", pg_stat_statements on" if a.pgstat else ""), "scenarios": []}
    redis_port, redis_pid = procs.start_redis(work)
    nodes = []
    status = 0
    try:
        for n in range(a.nodes):
            nodes.append(procs.start_node(server, n + 1, db_url, redis_port, work, f"{root}/target/site"))
        status |= multi_node(a, rep, loadgen, world, nodes, redis_pid)
    finally:
        for p, _, _ in nodes:
            p.terminate()
        for p, _, _ in nodes:
            p.wait()
        subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], capture_output=True)
    if "P2-1" in a.only:
        status |= single_node(a, rep, loadgen, server, world, db_url, work, root, sockets)
    cross_node(rep)
    json.dump(rep, open(f"{results}/report.json", "w"), indent=1)
    curves = [(c, rep["_hists"][c]) for c in ("P2 all nodes", "P7 other node", "P2 single node", "P6 during storm") if c in rep["_hists"]]
    open(f"{results}/latency.svg", "w").write(report.svg(curves, "Delivery latency, scheduled send to arrival"))
    del rep["_hists"]
    json.dump(rep, open(f"{results}/report.json", "w"), indent=1)
    open(f"{results}/report.md", "w").write(report.markdown(rep))
    print(open(f"{results}/report.md").read())
    print(f"results: {results}")
    print("scale suite: " + ("OK: every socket connected, nothing lost or duplicated" if status == 0 else "FAILED"))
    sys.exit(status)


def check(t, what):
    """Nothing lost, nothing duplicated, no post refused: else a failure line."""
    bad = t["lost"] or t["duplicated"] or t["posts_failed"] or t["resync_required"] or t["sockets_ended"]
    if bad:
        print(f"FAILED: {what}: lost={t['lost']} duplicated={t['duplicated']} posts_failed={t['posts_failed']} "
              f"resync={t['resync_required']} ended={t['sockets_ended']} first error: {t['first_error']}", flush=True)
    return 1 if bad else 0


def lat(t, kind="all"):
    l = t["latency"].get(kind, {})
    return f"p50 {report.fmt(l.get('p50_ms'), ' ms')}, p99 {report.fmt(l.get('p99_ms'), ' ms')}, p99.9 {report.fmt(l.get('p99.9_ms'), ' ms')}"


def multi_node(a, rep, loadgen, world, nodes, redis_pid):
    g = procs.Groups()
    g.set("nodes", [p.pid for p, _, _ in nodes]); g.set("postgres", []); g.set("redis", [redis_pid])
    before = g.snapshot()
    parts = procs.Parts(loadgen, world, [u for _, u, _ in nodes], a.parts, 8)
    g.set("loadgen", parts.pids())
    status = 0
    try:
        connected = parts.answers()
        up = sum(c["established"] for c in connected)
        want = sum(c["sockets"] for c in connected)
        connect_secs = max(c["secs"] for c in connected)
        print(f"== P1: {up}/{want} sockets up in {connect_secs:.1f}s", flush=True)
        if up < want:
            status = 1
            print(f"FAILED: {want - up} sockets did not connect: {next(c['first_error'] for c in connected if c['first_error'])}")
        s0 = g.snapshot(); time.sleep(a.hold); s1 = g.snapshot()
        u = g.usage(s0, s1)
        mem = u["nodes"]["mem_mib"]; per = (s1["nodes"][1] - before["nodes"][1]) / max(up, 1)
        rep["scenarios"].append({
            "id": "P1", "name": f"{up} idle sockets on {a.nodes} nodes", "target": "nodes ≤ 1 GiB (≤ 14 KB a socket), idle CPU ≤ 0.15 core",
            "measured": f"{mem:.0f} MiB ({per:.1f} KiB a socket), idle CPU {u['nodes']['cpu_cores']:.2f} core",
            "gap": gap_le(mem, 1024, "MiB") + "; " + gap_le(u["nodes"]["cpu_cores"], 0.15, "core"), "usage": u,
            "details": {"sockets": f"{up} of {want}", "connect": f"{connect_secs:.1f}s ({up / max(connect_secs, 1e-3):.0f}/s)",
                        "held idle": f"{a.hold:g}s"}})
        rep["_hists"] = {}
        if "P2" not in a.only:
            return status
        t, h, u, stmts = with_statements(a, lambda: fanout(g, parts, a.rate, a.seconds, RECIPIENTS, 0, -1, 0))
        status |= check(t, "P2")
        rep["_hists"]["P2 all nodes"] = h["all"]
        rep["_hists"]["P7 other node"] = h["remote"]
        rep["scenarios"].append({
            "id": "P2", "name": f"{a.rate:g} messages/s for {a.seconds:g}s, {up} sockets open", "usage": u,
            "target": "p50 ≤ 10 ms, p99 ≤ 50 ms, p99.9 ≤ 150 ms, 0 lost, 0 duplicated",
            "measured": f"{lat(t)}; lost {t['lost']}, duplicated {t['duplicated']}",
            "gap": gap_latency(t, [("p50_ms", 10), ("p99_ms", 50), ("p99.9_ms", 150)]), "details": details(t),
            "statements": stmts})
        rep["_p7"] = t
        if "P3" in a.only:
            status |= fanout_ramp(a, rep, g, parts)
        if "P4" in a.only or "P5" in a.only:
            status |= peak_mix(a, rep, g, parts)
        if "P6" in a.only:
            status |= storm(a, rep, g, parts, up)
    finally:
        parts.close()
    return status


def fanout_ramp(a, rep, g, parts):
    """P3: the fan-out rate raised step by step until p99 passes 200 ms."""
    status = 0
    ramp = []
    for rate in [float(r) for r in a.ramp.split(",") if r]:
        t3, _, u3 = fanout(g, parts, rate, max(a.seconds / 2, 5), RECIPIENTS, 0.2, -1, 0)
        status |= check(t3, f"P3 at {rate:g}/s")
        deliveries = t3["unique"] / max(a.seconds / 2, 5)
        per_core = deliveries / max(u3["nodes"]["cpu_cores"], 1e-3)
        p99 = t3["latency"].get("all", {}).get("p99_ms")
        ramp.append({"rate": rate, "deliveries_per_s": round(deliveries), "per_node_core": round(per_core),
                     "p99_ms": p99, "nodes_cpu": u3["nodes"]["cpu_cores"], "postgres_cpu": u3["postgres"]["cpu_cores"],
                     "recipients_mean": t3["recipients_mean"]})
        print(f"== P3 at {rate:g}/s: {ramp[-1]}", flush=True)
        if p99 is None or p99 > 200 or t3["posts_failed"]:
            break
    best = max([r for r in ramp if r["p99_ms"] is not None and r["p99_ms"] <= 200] or [{"per_node_core": 0, "rate": 0, "deliveries_per_s": 0}],
               key=lambda r: r["deliveries_per_s"])
    rep["scenarios"].append({
        "id": "P3", "name": "fan-out ramp (a fifth of messages to the #general channels with over 40 online, up to 500 members)",
        "target": "≥ 50,000 deliveries/s per server core at p99 ≤ 200 ms",
        "measured": f"{best['deliveries_per_s']} deliveries/s at {best['rate']:g} messages/s, {best['per_node_core']} per node core",
        "gap": gap_ge(best["per_node_core"], 50000, "deliveries/s per core"), "details": {"steps": ramp}})
    return status


def storm(a, rep, g, parts, up):
    """P6: every socket dropped and back within `spread`, under P2's load."""
    status = 0
    secs6 = a.spread + max(a.seconds / 2, 5)
    t6, h6, u6 = fanout(g, parts, a.rate, secs6, RECIPIENTS, 0, 2, a.spread)
    status |= check(t6, "P6")
    if t6["reconnects"] < up:
        status = 1
        print(f"FAILED: P6: {t6['reconnects']} of {up} sockets came back")
    rep["_hists"]["P6 during storm"] = h6["all"]
    back = t6["latency"].get("back", {})
    rep["scenarios"].append({
        "id": "P6", "name": f"reconnect storm: all {up} dropped at 2s, back within {a.spread:g}s, {a.rate:g} messages/s",
        "target": "100% back, 0 lost, P2's p99 ≤ 200 ms throughout", "usage": u6,
        "measured": f"{t6['reconnects']}/{up} back (reconnect p99 {report.fmt(back.get('p99_ms'), ' ms')}); live {lat(t6)}; "
                    f"{t6['replayed']} replayed on resume; lost {t6['lost']}",
        "gap": gap_latency(t6, [("p99_ms", 200)]), "details": details(t6)})
    return status


def mix(g, parts, rate, secs, classes, fanout_rate):
    """`rate` requests/s of `classes` ({name: weight}) and a fan-out beside it."""
    n = len(parts.procs)
    spec = ",".join(f"{k}:{v}" for k, v in classes.items())
    s0 = g.snapshot()
    out = parts.command(f"mix {rate / n} {secs} {spec} {fanout_rate / n}")
    u = g.usage(s0, g.snapshot())
    per = {}
    for name in classes:
        got = [r["classes"][name] for r in out if name in r["classes"]]
        h = report.merge(c["latency"] for c in got)
        per[name] = {"ok": sum(c["ok"] for c in got), "failed": sum(c["failed"] for c in got),
                     "first_error": next((c["first_error"] for c in got if c["first_error"]), None), **report.summary(h)}
    f = report.fanout_totals([r["fanout"] for r in out])[0] if fanout_rate > 0 else None
    return per, f, u, max(r["secs"] for r in out)


def peak_mix(a, rep, g, parts):
    """P4 (the peak mix, raised step by step) and P5 (history and search under P2)."""
    status, steps = 0, []
    full = sum(MIX.values()) + a.rate
    for frac in [float(x) for x in a.mix_steps.split(",") if x]:
        rate = full * frac
        per, f, u, secs = mix(g, parts, (full - a.rate) * frac, a.mix_seconds, MIX, a.rate * frac)
        done = sum(c["ok"] + c["failed"] for c in per.values()) + f["posts_ok"] + f["posts_failed"]
        failed = sum(c["failed"] for c in per.values()) + f["posts_failed"]
        cores = u["nodes"]["cpu_cores"]
        step = {"target_rate": round(rate), "achieved": round(done / secs), "failed": failed,
                "per_node_core": round(done / secs / max(cores, 1e-3)), "nodes_cpu": cores,
                "postgres_cpu": u["postgres"]["cpu_cores"], "send_p99_ms": f["latency"].get("all", {}).get("p99_ms"),
                "p99_ms": {k: c.get("p99_ms") for k, c in per.items()}}
        steps.append(step)
        print(f"== P4 at {rate:.0f}/s: {step}", flush=True)
        status |= check(f, f"P4 at {rate:.0f}/s")
        worst = max([v for v in step["p99_ms"].values() if v is not None] + [step["send_p99_ms"] or 0])
        if failed or worst > 1000 or done / secs < 0.9 * rate:
            break
    ok = [s for s in steps if not s["failed"] and max([v or 0 for v in s["p99_ms"].values()] + [s["send_p99_ms"] or 0]) <= 1000
          and s["achieved"] >= 0.9 * s["target_rate"]]
    best = ok[-1] if ok else {"achieved": 0, "per_node_core": 0, "target_rate": 0}
    rep["scenarios"].append({
        "id": "P4", "name": "the peak mix (model in scripts/scale/suite.py), raised step by step with P2's sockets open",
        "target": f"{full:.0f} requests/s (the seed's peak) on this machine",
        "measured": f"{best['achieved']} requests/s sustained (p99 of every class ≤ 1 s), {best['per_node_core']} per node core",
        "gap": gap_ge(best["achieved"], full, "requests/s"), "details": {"steps": steps}})
    per, f, u, _ = mix(g, parts, a.p5_rate, a.seconds, {"history": 10, "search": 1}, a.rate)
    status |= check(f, "P5")
    h, sr = per["history"], per["search"]
    rep["scenarios"].append({
        "id": "P5", "name": f"history pages and searches ({a.p5_rate:g}/s, 10:1) while P2 runs ({a.rate:g} messages/s)",
        "target": "history p99 ≤ 15 ms; search p50 ≤ 20 ms, p99 ≤ 150 ms", "usage": u,
        "measured": f"history p50 {report.fmt(h.get('p50_ms'), ' ms')}, p99 {report.fmt(h.get('p99_ms'), ' ms')}; "
                    f"search p50 {report.fmt(sr.get('p50_ms'), ' ms')}, p99 {report.fmt(sr.get('p99_ms'), ' ms')}; "
                    f"P2 beside it {lat(f)}",
        "gap": "; ".join(x for x in [gap_le(h.get("p99_ms") or 1e9, 15, "ms (history p99)"),
                                     gap_le(sr.get("p50_ms") or 1e9, 20, "ms (search p50)"),
                                     gap_le(sr.get("p99_ms") or 1e9, 150, "ms (search p99)")]),
        "details": {"history": h, "search": sr, "fan-out": details(f)}})
    for c in list(per.values()):
        if c["failed"]:
            status = 1
            print(f"FAILED: P5: {c['failed']} requests failed: {c['first_error']}")
    return status


def with_statements(a, run):
    """Runs a scenario with Postgres's statement statistics reset before it;
    returns its results and the statements its Postgres time went to."""
    if a.pgstat:
        pgstat.reset(a.pgstat)
    out = run()
    return (*out, pgstat.top(a.pgstat) if a.pgstat else None)


def fanout(g, parts, rate, secs, recipients, general, storm_at, spread):
    """Each part posts its share of `rate` to conversations of `recipients`
    (min, max) online people; `general`: the share to the big #general channels."""
    n = len(parts.procs)
    s0 = g.snapshot()
    out = parts.command(f"fanout {rate / n} {secs} {recipients[0]} {recipients[1]} {general} {storm_at} {spread}")
    u = g.usage(s0, g.snapshot())
    return (*report.fanout_totals(out), u)


def single_node(a, rep, loadgen, server, world, db_url, work, root, sockets):
    """P2 on one node without Redis, with as many sockets as one process holds."""
    parts_n = max(1, math.ceil(sockets / a.single_sockets))
    p, url, _ = procs.start_node(server, 9, db_url, None, work, f"{root}/target/site")
    status = 0
    try:
        g = procs.Groups(); g.set("nodes", [p.pid]); g.set("postgres", [])
        # Only part 0 of parts_n: one part's workspaces, all on this one node.
        lg = procs.Parts(loadgen, world, [url], parts_n, 8, only=[0])
        g.set("loadgen", lg.pids())
        try:
            c = lg.answers()[0]
            if c["established"] < c["sockets"]:
                status = 1
                print(f"FAILED: single node: {c['sockets'] - c['established']} sockets did not connect: {c['first_error']}")
            t, h, u, stmts = with_statements(a, lambda: fanout(g, lg, a.rate, a.seconds, RECIPIENTS, 0, -1, 0))
            status |= check(t, "P2 single node")
        finally:
            lg.close()
        rep["_hists"]["P2 single node"] = h["all"]
        rep["_p2_single"] = t
        rep["scenarios"].append({
            "id": "P2-1", "name": f"P2 on one node without Redis: {c['established']} sockets, {a.rate:g} messages/s",
            "target": "the cost of Redis shows against P2", "usage": u,
            "measured": f"{lat(t)}; lost {t['lost']}, duplicated {t['duplicated']}", "gap": "(reference)",
            "details": details(t), "statements": stmts})
    finally:
        p.terminate(); p.wait()
    return status


def cross_node(rep):
    t7, t1 = rep.pop("_p7", None), rep.pop("_p2_single", None)
    if not t7 or not t1:
        return
    r = t7["latency"].get("remote", {}).get("p99_ms"); s = t1["latency"].get("all", {}).get("p99_ms")
    rep["scenarios"].append({
        "id": "P7", "name": "P2's deliveries to sockets on another node than the sender's (through Redis)",
        "target": "0 lost, 0 duplicated, cross-node p99 ≤ 2× single-node p99",
        "measured": f"cross-node {lat(t7, 'remote')} vs same node {lat(t7, 'local')}; single node p99 {report.fmt(s, ' ms')}",
        "gap": "n/a" if r is None or s is None else gap_le(r, 2 * s, "ms"), "details": {"lost": t7["lost"], "duplicated": t7["duplicated"]}})


def details(t):
    return {"posts": f"{t['posts_ok']} ok, {t['posts_failed']} failed, {t['post_rate']}/s",
            "deliveries": f"{t['expected']} expected, {t['unique']} received, {t['lost']} lost, {t['duplicated']} duplicated",
            "recipients per message": t["recipients_mean"],
            "latency": {k: v for k, v in t["latency"].items()}}


def gap_le(v, target, unit):
    return f"met ({v:g} ≤ {target:g} {unit})" if v <= target else f"missed by {v - target:g} {unit}"


def gap_ge(v, target, unit):
    return f"met ({v:g} ≥ {target:g} {unit})" if v >= target else f"short by {target - v:g} {unit}"


def gap_latency(t, bounds):
    l = t["latency"].get("all", {})
    miss = [f"{k[:-3]} {l.get(k)} > {b} ms" for k, b in bounds if l.get(k) is None or l[k] > b]
    return "met" if not miss else "missed: " + ", ".join(miss)


if __name__ == "__main__":
    main()
