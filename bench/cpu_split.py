"""Where the CPU went during a load run: per group of processes (gunicorn workers, PostgreSQL, locust,
Redis, other), from /proc/<pid>/stat, between two snapshots.

Usage: python bench/cpu_split.py snapshot FILE        (before the run)
       python bench/cpu_split.py report FILE SECONDS   (after it: CPU seconds and cores per group)
"""
import json
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")
# An exited process's CPU is counted in its parent's: locust's lands in run_load.sh once it has ended.
GROUPS = (("gunicorn", "gunicorn (Django)"), ("postgres", "PostgreSQL"), ("locust", "locust (load tool)"),
          ("run_load.sh", "locust (load tool, ended) and bench scripts"), ("redis", "Redis"))
GUNICORN_HERE = GROUPS[0][1]


def _group(pid):
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    port = os.environ.get("PORT")
    if port and "gunicorn" in cmdline:  # the machine may run other portals' servers (tests of other checkouts)
        return GUNICORN_HERE if f"127.0.0.1:{port}" in cmdline else "gunicorn (other servers on the machine)"
    for needle, name in GROUPS:
        if needle in cmdline:
            return name
    return "other"


def snapshot():
    cpu = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime (children reaped count for the parent)
        ticks = sum(int(x) for x in fields[11:15])
        cpu[pid] = (_group(pid), ticks)
    return cpu


def main():
    action, path = sys.argv[1], sys.argv[2]
    if action == "snapshot":
        json.dump(snapshot(), open(path, "w"))
        return
    seconds = float(sys.argv[3])
    before, after = json.load(open(path)), snapshot()
    used = {}
    for pid, (group, ticks) in after.items():
        start = before.get(pid, (group, 0))[1]
        used[group] = used.get(group, 0) + max(0, ticks - start) / TICKS
    total = sum(used.values())
    print(f"CPU during the run ({seconds:.0f} s, {os.cpu_count()} cores): {total:.1f} s = {total / seconds:.2f} cores")
    for group, value in sorted(used.items(), key=lambda kv: -kv[1]):
        if value >= 0.05:
            print(f"  {group}: {value:.1f} s ({value / seconds:.2f} cores, {100 * value / total:.0f} %)")


if __name__ == "__main__":
    main()
