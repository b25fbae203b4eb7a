#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print flowlane's benchmark results as a table with ratios against the
baselines measured in the same run (Google Benchmark JSON in, text out)."""
import json
import sys

IMPLS = ["flowlane", "cds_lfht", "absl_flat_hash_map", "std_unordered_map"]


def ns_per_item(b):
    return 1e9 / b["items_per_second"] if b.get("items_per_second") else float("nan")


def main(path):
    data = json.load(open(path))
    results = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                results[b["run_name"]] = b
        else:
            results.setdefault(b["name"], b)
    print("flowlane benchmarks (%s, %d CPUs, %s)" % (data["context"].get("host_name", "?"),
          data["context"].get("num_cpus", 0), data["context"].get("date", "")))
    for kind in ("hit", "miss"):
        print("\nlookup %s: ns per lookup (heap bytes per flow); ratio = baseline / flowlane" % kind)
        print("  %-9s" % "flows" + "".join("%-30s" % i for i in IMPLS))
        for n in (1000, 100000, 1000000):
            b = results.get("BM_Lookup/%s/%d" % (kind, n))
            if not b:
                continue
            base = b["ns_flowlane"]
            row = []
            for impl in IMPLS:
                ns, by = b["ns_" + impl], b["bytes_" + impl]
                cell = "%.1f ns (%.0f B)" % (ns, by)
                if impl != "flowlane":
                    cell += " %.2fx" % (ns / base)
                row.append("%-30s" % cell)
            print("  %-9s" % n + "".join(row))
    print("\ninsert + delete of one flow (both directions) at 100k flows, ns per op")
    base = None
    for impl in IMPLS:
        b = results.get("BM_InsertDelete_%s" % impl)
        if not b:
            continue
        ns = ns_per_item(b)
        base = base or ns
        print("  %-22s %8.1f ns  %.2fx" % (impl, ns, ns / base))
    print("\nfastpath per packet (Ethernet/IPv4/TCP, 1454-byte frame, L2 rewrite)")
    for name in ("no_nat", "snat_dnat"):
        b = results.get("BM_Fastpath/%s" % name)
        if b:
            print("  %-22s %8.1f ns  (%.2f Mpps on one core)" % (name, ns_per_item(b), b["items_per_second"] / 1e6))
    print("\nburst API at 1M flows, ns per packet (burst of 32 vs one by one vs absl unbatched)")
    for kind in ("hit", "miss"):
        b = results.get("BM_LookupBurst/%s/1000000" % kind)
        if b:
            one, burst, absl = b["ns_one_by_one"], b["ns_burst32"], b["ns_absl_flat_hash_map"]
            print("  lookup %-5s one-by-one %6.1f ns  burst32 %6.1f ns  absl %6.1f ns  "
                  "burst/absl=%.2f burst/one-by-one=%.2f" % (kind, one, burst, absl, burst / absl, burst / one))
    for kind in ("hit", "miss"):
        b = results.get("BM_FastpathBurst/%s/1000000" % kind)
        if b:
            one, burst = b["ns_one_by_one"], b["ns_burst32"]
            print("  fastpath %-5s one-by-one %6.1f ns  burst32 %6.1f ns  burst/one-by-one=%.2f"
                  % (kind, one, burst, burst / one))
    print("\nratio > 1: the baseline is slower than flowlane by that factor (medians of repetitions)")
    print("every lookup returns a usable flow: baselines check the object's teardown flag")


if __name__ == "__main__":
    main(sys.argv[1])
