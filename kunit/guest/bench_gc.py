# SPDX-License-Identifier: GPL-2.0
"""Forwarding during flowtable GC passes, for kunit/guest/bench-kernel.sh.

sample SECONDS MARKER   (run in the router's namespace) every ~10 ms, write the
                        router's forwarded-packet count (eth1 transmitted plus
                        dropped by the peer) to the ftrace marker file, so that
                        the samples and the workqueue events share one clock
analyse MODE < trace    pair each GC work item's execute_start/end events
                        (stock: nf_flow_offload_work_gc; flowlane: its work
                        runner, GC being its only work once no resize runs) and
                        compare pps over sample intervals wholly inside a GC
                        pass with pps over intervals that touch none
"""
import re
import sys
import time

GC_FUNCTIONS = {"stock": ("nf_flow_offload_work_gc",), "flowlane": ("fl_work_run",)}
EVENT = re.compile(r"\[(\d+)\]\s+\S+\s+([\d.]+): (\w+): (.*)$")


def forwarded():
    with open("/proc/net/dev") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name.strip() == "eth1":
                fields = rest.split()
                return int(fields[9]) + int(fields[11])
    raise SystemExit("bench_gc: no eth1 in /proc/net/dev")


def sample(seconds, marker):
    end = time.monotonic() + seconds
    with open(marker, "w", buffering=1) as out:
        while time.monotonic() < end:
            out.write("blgc %d\n" % forwarded())
            time.sleep(0.01)


def parse(lines, functions):
    samples, passes, open_work = [], [], {}
    for line in lines:
        m = EVENT.search(line)
        if not m:
            continue
        cpu, ts, event, rest = int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
        if event == "tracing_mark_write" and rest.startswith("blgc "):
            samples.append((ts, int(rest.split()[1])))
        elif event in ("workqueue_execute_start", "workqueue_execute_end"):
            work, _, function = rest.partition(": function ")
            if function.strip() not in functions:
                continue
            if event.endswith("start"):
                open_work[work] = (ts, cpu)
            elif work in open_work:
                start, on = open_work.pop(work)
                passes.append((start, ts, on))
    return samples, passes


def analyse(mode):
    samples, passes = parse(sys.stdin, GC_FUNCTIONS[mode])
    inside = [0, 0.0]
    outside = [0, 0.0]
    for (t0, n0), (t1, n1) in zip(samples, samples[1:]):
        if any(s <= t0 and t1 <= e for s, e, _ in passes):
            acc = inside
        elif not any(s < t1 and t0 < e for s, e, _ in passes):
            acc = outside
        else:
            continue
        acc[0] += n1 - n0
        acc[1] += t1 - t0
    if not passes or len(samples) < 2:
        print("no GC pass or no samples traced (%d passes, %d samples)" % (len(passes), len(samples)))
        return 1
    lengths = sorted(e - s for s, e, _ in passes)
    cpus = sorted({c for _, _, c in passes})
    during = inside[0] / inside[1] if inside[1] else 0
    between = outside[0] / outside[1] if outside[1] else 0
    ratio = "%.2f" % (during / between) if during and between else "n/a"
    print("%d passes, median %.0f ms on CPU %s; pps during a pass %.0f (%.1f s), between passes %.0f (%.1f s);"
          " during/between=%s" % (len(passes), 1000 * lengths[len(lengths) // 2], ",".join(map(str, cpus)),
                                  during, inside[1], between, outside[1], ratio))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "sample":
        sample(float(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(analyse(sys.argv[2]))
