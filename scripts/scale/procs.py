"""Processes of the scale suite: the nodes, a Redis of the suite's own, the
load-generator parts, and what each costs (CPU from /proc/PID/stat, memory
as PSS from /proc/PID/smaps_rollup, so Postgres's shared buffers are not
counted once per backend)."""
import json, os, resource, socket, subprocess, time, urllib.request

CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def raise_files():
    """Every socket is a file; a process here may hold at most the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_secs(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        pass
    return 0


def pids_named(name):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == name:
                        out.append(int(d))
            except OSError:
                pass
    return out


class Groups:
    """Named groups of pids; `snapshot` reads their CPU and memory."""

    def __init__(self):
        self.groups = {}

    def set(self, name, pids):
        self.groups[name] = list(pids)

    def snapshot(self):
        """Per group: {pid: CPU seconds}, and the group's memory in KiB."""
        snap = {"t": time.monotonic()}
        for name, pids in self.groups.items():
            pids = pids_named("postgres") if name == "postgres" else pids
            snap[name] = ({p: cpu_secs(p) for p in pids}, sum(pss_kib(p) for p in pids))
        return snap

    @staticmethod
    def usage(a, b):
        """CPU (cores) between two snapshots, and memory (MiB) at the second.
        Processes that ended in between (Postgres backends) are not counted;
        ones that started count from zero."""
        wall = max(b["t"] - a["t"], 1e-6)
        out = {}
        for k in b:
            if k == "t":
                continue
            before = a.get(k, ({}, 0))[0]
            cpu = sum(max(c - before.get(p, 0.0), 0.0) for p, c in b[k][0].items())
            out[k] = {"cpu_cores": round(cpu / wall, 3), "mem_mib": round(b[k][1] / 1024, 1)}
        return out


def wait_ready(url, log, seconds=120):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"node {url} not ready; log: {open(log).read()[-3000:]}")


def start_redis(work):
    port = free_port()
    subprocess.run(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--pidfile", f"{work}/redis.pid", "--logfile", f"{work}/redis.log",
                    "--maxclients", "10000"], check=True)
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
            return port, int(open(f"{work}/redis.pid").read())
        time.sleep(0.1)
    raise SystemExit("redis did not start")


def start_node(binary, n, db_url, redis_port, work, site_root):
    port = free_port()
    data = f"{work}/node{n}"; os.makedirs(data, exist_ok=True)
    env = dict(os.environ, DATABASE_URL=db_url, THREADSPACE_ADDR=f"127.0.0.1:{port}", THREADSPACE_DATA_DIR=data,
               THREADSPACE_LOGIN_LIMIT_ACCOUNT="1000000", THREADSPACE_LOGIN_LIMIT_IP="1000000", RUST_LOG=os.environ.get("SCALE_RUST_LOG", "warn"),
               THREADSPACE_RATE_LIMIT_SCALE="1000", THREADSPACE_WS_PER_MEMBER="1000", THREADSPACE_WS_PER_IP="1000000",
               THREADSPACE_DB_POOL=os.environ.get("SCALE_DB_POOL", "16"), THREADSPACE_SITE_ROOT=site_root)
    if redis_port:
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}"
    for k in ("MEILI_URL", "MEILI_MASTER_KEY", "MEILI_API_KEY"):
        env.pop(k, None)
    log = f"{work}/node{n}.log"
    p = subprocess.Popen([binary, "serve"], env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, log)
    return p, url, log


class Parts:
    """The load-generator processes: each reads commands on stdin and
    answers one JSON line per command."""

    def __init__(self, loadgen, world, urls, parts, sources, only=None):
        """`only`: run just these parts of `parts` (the single-node run)."""
        self.procs = [subprocess.Popen([loadgen, "scale", "--world", world, "--urls", ",".join(urls), "--part", str(k),
                                        "--parts", str(parts), "--sources", str(sources)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
                      for k in (only if only is not None else range(parts))]

    def pids(self):
        return [p.pid for p in self.procs]

    def answers(self):
        out = []
        for p in self.procs:
            line = p.stdout.readline()
            if not line:
                raise SystemExit(f"loadgen part {p.pid} ended (exit {p.wait()})")
            out.append(json.loads(line))
        return out

    def command(self, cmd):
        for p in self.procs:
            p.stdin.write(cmd + "\n"); p.stdin.flush()
        return self.answers()

    def close(self):
        for p in self.procs:
            try:
                p.stdin.write("quit\n"); p.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
