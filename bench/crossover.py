#!/usr/bin/env python3
"""crossover.py: the statistics of `bench/xlator-overhead.sh --crossover`
(docs/benchmarks.md, crossover runs), in one place.

    bench/crossover.py effect < ROWS          one run's table (the script calls it)
    bench/crossover.py pool RUN1.out ...      pools several runs' tables

effect reads "phases P P ..." (the half, 1 or 2, of every round) and then
one "test|measure|ratio ratio ..." line per measure (the paired ratios
translator side / other side, round by round). It prints per measure the
geometric mean of each half, the translator's effect (both halves, equal
weight: the volumes' own difference cancels), its 95 % interval (Student's
t on the log ratios, variance pooled within the halves, n - 2 degrees of
freedom), the volumes' own difference, and the verdict against 2 %.

pool reads the tables effect printed (the lines after "crossover:
translator on va ..." in each run's output), recovers every row's log
effect and standard error from its 95 % interval and the run's degrees of
freedom, and prints per test and measure the inverse-variance weighted mean
with its 95 % interval (normal, 1.96). The printed intervals are rounded to
0.1 %, so the pooled figures carry that rounding too."""
import math
import re
import sys

# Student t, two-sided 95 %, by degrees of freedom (1..30; beyond: 1.96)
T = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
     2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
     2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
ROW = re.compile(r'^(.{28}) (.{18}) +\S+ +\S+ +([-+][0-9.]+)% +([-+][0-9.]+)%\.\.([-+][0-9.]+)%')


def t95(df):
    return T[df - 1] if df <= 30 else 1.96


def pct(log_x):
    return '%+.1f%%' % ((math.exp(log_x) - 1) * 100)


def effect_row(test, what, ratios, phases):
    h = {k: [math.log(x) for x, p in zip(ratios, phases) if p == k] for k in (1, 2)}
    if len(h[1]) < 2 or len(h[2]) < 2:
        return '%-28s %-18s need at least 2 rounds in each half' % (test, what)
    m = {k: sum(v) / len(v) for k, v in h.items()}
    eff = (m[1] + m[2]) / 2          # the volumes' difference cancels
    vol = (m[1] - m[2]) / 2          # va over vb, with or without the translator
    df = len(h[1]) + len(h[2]) - 2
    s2 = sum((x - m[k]) ** 2 for k in h for x in h[k]) / df
    se = math.sqrt(s2 / 4 * (1 / len(h[1]) + 1 / len(h[2])))
    lo, hi = eff - t95(df) * se, eff + t95(df) * se
    verdict = ('met (CI below +2%)' if math.exp(hi) < 1.02 else
               'not met (CI above +2%)' if math.exp(lo) > 1.02 else 'not shown (CI spans +2%)')
    return '%-28s %-18s %8.3f %8.3f %9s %9s..%-9s %9s  %s' % (
        test, what, math.exp(m[1]), math.exp(m[2]), pct(eff), pct(lo), pct(hi), pct(vol), verdict)


def effect():
    lines = sys.stdin.read().splitlines()
    phases = [int(p) for p in lines[0].split()[1:]]
    print('%-28s %-18s %8s %8s %9s %19s %9s  %s' % ('test', 'measure', 'half 1', 'half 2',
          'effect', '95% CI', 'volumes', '2 % target'))
    for line in lines[1:]:
        test, what, vals = line.split('|')
        print(effect_row(test, what, [float(x) for x in vals.split()], phases))


def run_table(path):
    """(test, measure) -> (log effect, standard error, rounds) of one run."""
    out, df = {}, None
    for line in open(path, encoding='utf-8'):
        if line.startswith('crossover: translator on va'):
            df = len(line.split('halves:')[1].split()) - 2
            continue
        m = ROW.match(line)
        if df is None or m is None:
            continue
        eff, lo, hi = (math.log(1 + float(m[i]) / 100) for i in (3, 4, 5))
        out[(m[1].strip(), m[2].strip())] = (eff, (hi - lo) / (2 * t95(df)), df + 2)
    if df is None:
        sys.exit('%s: no crossover table (run with --crossover)' % path)
    return out


def pool(paths):
    pooled = {}
    for path in paths:
        for key, val in run_table(path).items():
            pooled.setdefault(key, []).append(val)
    print('%-28s %-18s %5s %6s %9s %19s' % ('test', 'measure', 'runs', 'rounds', 'effect', '95% CI'))
    for (test, what), vals in sorted(pooled.items()):
        if any(se <= 0 for _, se, _ in vals):
            print('%-28s %-18s (an interval of zero width: cannot weigh)' % (test, what))
            continue
        w = [1 / se ** 2 for _, se, _ in vals]
        m = sum(wi * e for wi, (e, _, _) in zip(w, vals)) / sum(w)
        se = 1 / math.sqrt(sum(w))
        print('%-28s %-18s %5d %6d %9s %9s..%-9s' % (test, what, len(vals),
              sum(n for _, _, n in vals), pct(m), pct(m - 1.96 * se), pct(m + 1.96 * se)))


if len(sys.argv) >= 2 and sys.argv[1] == 'effect':
    effect()
elif len(sys.argv) >= 3 and sys.argv[1] == 'pool':
    pool(sys.argv[2:])
else:
    sys.exit(__doc__)
