#!/usr/bin/env python3
"""Markdown tables from bench/flood.py results: flood-<cap>.json files given as arguments."""
import json
import re
import sys


def mib(kb):
    return f"{kb / 1024:.0f}" if kb else "-"


def ms(v):
    return "-" if v is None else f"{v:.1f}"


runs = []
for path in sys.argv[1:]:
    cap = re.search(r"flood-(\d+)\.json$", path).group(1)
    with open(path) as f:
        runs.append((int(cap), json.load(f)))
runs.sort(key=lambda r: -r[0])

print("| cap | phase | webhooks | 2xx | failed | p50 ms | p99 ms | max ms | receiver fds (end) | receiver CPU | flood process CPU |")
print("| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")


def cpu(a, b, key):
    dt = b["t"] - a["t"]
    return f"{100 * (b[key] - a[key]) / dt:.0f} %" if dt > 0 and key in a and key in b else "-"


for cap, r in runs:
    m = r["marks"]
    span = {"base": (m["before"], m["before_flood"]), "flood": (m["flood_open"], m.get("flood_end", m["during"])), "after": (m["after_settle"], m["after"])}
    fds = {"base": m["before_flood"]["fds"], "flood": m["during"]["fds"], "after": m["after"]["fds"]}
    for p in r["phases"]:
        failed = ", ".join(f"{k} {v}" for k, v in sorted(p["codes"].items()) if not k.startswith("2")) or "0"
        a, b = span[p["phase"]]
        print(f"| {cap} | {p['phase']} | {p['sent']} | {p['ok']} | {failed} | {ms(p['p50_ms'])} | {ms(p['p99_ms'])} | {ms(p['max_ms'])} | {fds[p['phase']]} | {cpu(a, b, 'cpu_s')} | {cpu(a, b, 'flood_cpu_s') if p['phase'] == 'flood' else '-'} |")
print()
print("| cap | flood clients | opened | cut by the receiver | median / max lifetime s | connect failures | open when the load started |")
print("| ---: | --- | ---: | ---: | --- | ---: | ---: |")
for cap, r in runs:
    peak = r["marks"]["flood_open"]["client_open"]  # when the load under flood started
    for k in ("slow", "idle"):
        f = r["flood"][k]
        life = "-" if f["lifetime_s_median"] is None else f"{f['lifetime_s_median']} / {f['lifetime_s_max']}"
        print(f"| {cap} | {k} | {f['opened']} | {f['cut']} | {life} | {f['connect_failed']} | {peak[k]} |")
print()
print("| cap | RSS MiB before | peak during flood | after flood + settle | after the last load | VmHWM | load avg (1 min) base / flood / after |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for cap, r in runs:
    m = r["marks"]
    print(f"| {cap} | {mib(m['before_flood']['rss_kb'])} | {mib(r['rss_peak_during_kb'])} | {mib(m['after_settle']['rss_kb'])} | {mib(m['after']['rss_kb'])} | {mib(m['after']['hwm_kb'])} | {m['before_flood']['load1']} / {m['during']['load1']} / {m['after']['load1']} |")
