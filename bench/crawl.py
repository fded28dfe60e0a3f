"""The crawler on a simulated country (pipeline/synth/country.py), served on loopback by another process.

    python bench/crawl.py                      # 100 hosts x 20 bodies, 1 s delay, 2019-2025
    python bench/crawl.py --hosts 20 --bodies 5 --delay 0.3

Prints the first crawl's time and throughput against the politeness bound (hosts / delay), a
no-change night's time and requests, the most requests any host saw at once and the politeness
breaches found in the servers' own logs, and the crawler's CPU per request.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.crawl.registry import load_registry  # noqa: E402
from pipeline.synth.country import Plan, Servers, cpu_seconds, politeness_breaches  # noqa: E402


def night(label: str, registry: Path, root: Path, conn, delay: float, hosts: int, kinds: dict[str, str]) -> dict:
    from pipeline.batch.shards import crawl_all

    conn.send("log")
    _, served_cpu = conn.recv()
    cpu, start = cpu_seconds(), time.monotonic()
    summary = crawl_all(root, [str(registry)], None)
    seconds, cpu = time.monotonic() - start, cpu_seconds() - cpu
    conn.send("log")
    log, served = conn.recv()
    breaches = politeness_breaches(log, delay)
    rate = summary.requests / seconds
    print(f"{label}: {seconds:7.1f} s, {summary.requests:6d} requests ({rate:6.1f}/s = {rate / (hosts / delay):4.0%} of "
          f"the bound {hosts / delay:.0f}/s), {summary.documents_new} new documents, {summary.not_due} not due, "
          f"{len(summary.failures)} failures, {len(summary.hosts_set_aside)} hosts set aside; "
          f"most in flight {summary.most_in_flight}, per host {summary.most_in_flight_per_host}; "
          f"server log: {len(log)} requests, {len(breaches)} politeness breaches; "
          f"CPU: crawler {cpu:.1f} s ({1000 * cpu / max(1, summary.requests):.1f} ms/request), "
          f"servers {served - served_cpu:.1f} s", flush=True)
    for line in breaches[:5]:
        print("   ", line)
    served: dict[str, int] = {}
    for hit in log:
        served[hit.host] = served.get(hit.host, 0) + 1
    if served:  # the best politeness allows for this country: every host back to back, the busiest last
        best = len(log) / (max(served.values()) * delay)
        print(f"    this country's work allows at most {best:.1f} requests/s ({best / (hosts / delay):.0%} of the "
              f"bound: the busiest host has {max(served.values())} requests); the crawl reached "
              f"{rate / best:.0%} of that")
    per_host: dict[str, list] = {}
    for hit in log:
        per_host.setdefault(hit.host, []).append(hit)
    for hits in per_host.values():
        hits.sort(key=lambda h: h.arrived)
    by_kind: dict[str, list[tuple[float, int]]] = {}
    gaps = sorted(b.arrived - a.arrived for hits in per_host.values() if kinds.get(hits[0].host) == "ok"
                  for a, b in zip(hits, hits[1:], strict=False))
    if gaps:
        print(f"    start-to-start on ok hosts (server clock): median {gaps[len(gaps) // 2]:.3f} s, "
              f"p90 {gaps[int(len(gaps) * 0.9)]:.3f} s, p99 {gaps[int(len(gaps) * 0.99)]:.3f} s, "
              f"least {gaps[0]:.3f} s, most {gaps[-1]:.1f} s; {sum(g for g in gaps if g > 2 * delay):.0f} s "
              f"in {sum(g > 2 * delay for g in gaps)} gaps over twice the delay")
    for host, hits in per_host.items():
        span = max(h.ended for h in hits) - min(h.arrived for h in hits)
        by_kind.setdefault(kinds.get(host, "?"), []).append((span, len(hits)))
    print("    hosts by kind (longest time serving, requests): " + "; ".join(
        f"{kind} {len(v)}: {max(v)[0]:.0f} s, {sum(n for _, n in v) / len(v):.0f} each" for kind, v in sorted(by_kind.items())))
    return {"seconds": seconds, "requests": summary.requests, "breaches": len(breaches)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--bodies", type=int, default=20, help="bodies per host")
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--in-flight", type=int, default=32)
    ap.add_argument("--years", default="2019:2025")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--server-processes", type=int, default=4)
    ap.add_argument("--limited", type=int, default=0, help="hosts that answer 429 (the whole host then waits)")
    ap.add_argument("--busy-share", type=float, default=0.1, help="of a busy (limited) host's paths answered 503 (429) when first asked")
    args = ap.parse_args()
    first, last = (int(y) for y in args.years.split(":"))
    plan = Plan(hosts=args.hosts, bodies_per_host=args.bodies, years=tuple(range(first, last + 1)), seed=args.seed,
                busy_share=args.busy_share,
                kinds={"slow": args.hosts // 20, "busy": args.hosts // 20, "limited": args.limited,
                       "dead": args.hosts // 50, "hung": args.hosts // 50})
    settings = {"delay_seconds": args.delay, "max_in_flight": args.in_flight, "connect_timeout_seconds": 5,
                "timeout_seconds": 10}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parent = Servers(plan, args.server_processes)
        registry = parent.country.registry(folder / "sources.yaml", **settings)
        sources = len(load_registry(registry).sources)
        print(f"country: {args.hosts} hosts ({plan.kinds}), {sources} sources, years {first}-{last}, "
              f"delay {args.delay} s, {args.in_flight} in flight, latency {plan.latency[0]}-{plan.latency[1]} s "
              f"(slow hosts {plan.slow_latency[0]}-{plan.slow_latency[1]} s), served by {len(parent.pipes)} "
              f"processes", flush=True)
        root = folder / "data"
        kinds = {h.base: h.kind for h in parent.country.hosts}
        night("first crawl     ", registry, root, parent, args.delay, args.hosts, kinds)
        night("no-change night ", registry, root, parent, args.delay, args.hosts, kinds)
        parent.send("stop")


if __name__ == "__main__":
    main()
