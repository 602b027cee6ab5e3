#!/usr/bin/env python3
"""pool-crossover.py: pools the translator's effect over several runs of
`bench/xlator-overhead.sh --crossover` (docs/benchmarks.md, crossover runs).

    bench/pool-crossover.py RUN1.out RUN2.out ...

Reads each run's crossover table (the lines after "crossover: translator on
va ..."), recovers every row's log effect and standard error from its 95 %
interval and the run's degrees of freedom (rounds - 2), and prints per test
and measure the inverse-variance weighted mean with its 95 % interval
(normal, 1.96). The printed intervals are rounded to 0.1 %, so the pooled
figures carry that rounding too."""
import math
import re
import sys

# Student t, two-sided 95 %, by degrees of freedom (as xlator-overhead.sh)
T = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
     2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
     2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
ROW = re.compile(r'^(.{28}) (.{18}) +\S+ +\S+ +([-+][0-9.]+)% +([-+][0-9.]+)%\.\.([-+][0-9.]+)%')


def runs(path):
    """(test, measure) -> (log effect, standard error) of one run's table."""
    out, df = {}, None
    for line in open(path, encoding='utf-8'):
        if line.startswith('crossover: translator on va'):
            df = len(line.split('halves:')[1].split()) - 2
            continue
        m = ROW.match(line)
        if df is None or m is None:
            continue
        eff, lo, hi = (math.log(1 + float(m[i]) / 100) for i in (3, 4, 5))
        t = T[df - 1] if df <= 30 else 1.96
        out[(m[1].strip(), m[2].strip())] = (eff, (hi - lo) / (2 * t), df + 2)
    if df is None:
        sys.exit('%s: no crossover table (run with --crossover)' % path)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    pooled = {}
    for path in sys.argv[1:]:
        for key, val in runs(path).items():
            pooled.setdefault(key, []).append(val)
    pct = lambda x: '%+.1f%%' % ((math.exp(x) - 1) * 100)
    print('%-28s %-18s %5s %6s %9s %19s' % ('test', 'measure', 'runs', 'rounds', 'effect', '95% CI'))
    for (test, what), vals in sorted(pooled.items()):
        if any(se <= 0 for _, se, _ in vals):
            print('%-28s %-18s (an interval of zero width: cannot weigh)' % (test, what))
            continue
        w = [1 / se ** 2 for _, se, _ in vals]
        m = sum(wi * e for wi, (e, _, _) in zip(w, vals)) / sum(w)
        se = 1 / math.sqrt(sum(w))
        print('%-28s %-18s %5d %6d %9s %9s..%-9s' % (test, what, len(vals), sum(n for _, _, n in vals),
              pct(m), pct(m - 1.96 * se), pct(m + 1.96 * se)))


main()
