/* sim_main.c: agora-sim, the command line of the deterministic simulation
 * (docs/simulation.md).
 *
 *   agora-sim [--seeds N] [--first-seed S | --seed S] [--proposers N]
 *             [--steps N] [--drift-ppm P] [--settle SEC] [--verbose] [--quiet]
 *             [--no-liveness] [--skip-check K] [--keep-going] [--broken RULE]
 *
 * Exit status: 0 every seed passed, 1 a violation (reported with the last
 * events and the command that replays it), 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

/* Sanitizers slow the run down several times: run-sim.sh asks, to scale. */
#if defined(__SANITIZE_ADDRESS__)
#define SIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_SANITIZED 1
#endif
#endif
#ifndef SIM_SANITIZED
#define SIM_SANITIZED 0
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: agora-sim [options]\n"
            "  --seeds N         number of seeds to run (default 1000)\n"
            "  --first-seed S    first seed (default 1)\n"
            "  --seed S          run the one seed S (same as --first-seed S --seeds 1)\n"
            "  --proposers N     1..5 proposers (default: 1 + seed %% 5)\n"
            "  --steps N         events in the faulty phase of each seed (default 2000)\n"
            "  --drift-ppm P     bound on clock drift, parts per million (default 5000)\n"
            "  --settle SEC      liveness bound once the faults stop (default 20)\n"
            "  --verbose         print every event\n"
            "  --quiet           print only violations and the final line\n"
            "  --no-liveness     end each seed with its faults (skip check 5)\n"
            "  --skip-check K    do not evaluate check K (2: one lease, 6: one leader)\n"
            "  --keep-going      do not stop at the first violation\n"
            "  --build-info      say whether this binary has sanitizers\n"
            "  --broken RULE     inject a wrong rule the checker must catch:\n"
            "                    accept-lower-ballot promise-lower-ballot ignore-lease\n"
            "                    no-restart-quiet skip-fsync lease-overrun mute-after-faults\n");
}

static int parse_u64(const char *opt, const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-') {
        fprintf(stderr, "agora-sim: %s: not a number: %s\n", opt, s);
        return -1;
    }
    *v = x;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the command line asks for. */
struct cli {
    struct sim_opts o;
    uint64_t seeds, first;
    bool quiet, keep_going;
};

/* An option that takes a number: 0, or 2 (a usage error, reported). */
static int set_number(struct cli *c, const char *a, uint64_t x)
{
    if (strcmp(a, "--seeds") == 0) {
        c->seeds = x;
    } else if (strcmp(a, "--first-seed") == 0) {
        c->first = x;
    } else if (strcmp(a, "--seed") == 0) {
        c->first = x;
        c->seeds = 1;
    } else if (strcmp(a, "--proposers") == 0) {
        if (x < 1 || x > SIM_MAX_PROPOSERS) {
            fprintf(stderr, "agora-sim: --proposers must be 1..%d\n", SIM_MAX_PROPOSERS);
            return 2;
        }
        c->o.proposers = (uint32_t)x;
    } else if (strcmp(a, "--steps") == 0) {
        if (x < 1) {
            fprintf(stderr, "agora-sim: --steps must be at least 1\n");
            return 2;
        }
        c->o.steps = x;
    } else if (strcmp(a, "--skip-check") == 0) {
        if (x != 2 && x != 6) {
            fprintf(stderr, "agora-sim: --skip-check takes 2 (lease) or 6 (leader)\n");
            return 2;
        }
        c->o.skip_checks |= 1u << x;
    } else if (strcmp(a, "--drift-ppm") == 0) {
        if (x > 100000) {
            fprintf(stderr, "agora-sim: --drift-ppm must be at most 100000\n");
            return 2;
        }
        c->o.drift_ppm = (uint32_t)x;
    } else if (strcmp(a, "--settle") == 0) {
        if (x < 1 || x > 3600) {
            fprintf(stderr, "agora-sim: --settle must be 1..3600 seconds\n");
            return 2;
        }
        c->o.settle_ns = x * 1000000000ull;
    } else {
        fprintf(stderr, "agora-sim: unknown option: %s\n", a);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* A flag (no value) a: 1 if it is one, 0 if not, or 3 + exit status for
 * the flags that end the program (--help, --build-info). */
static int set_flag(struct cli *c, const char *a)
{
    if (strcmp(a, "--verbose") == 0) {
        c->o.verbose = true;
    } else if (strcmp(a, "--quiet") == 0) {
        c->quiet = true;
    } else if (strcmp(a, "--no-liveness") == 0) {
        c->o.liveness = false;
    } else if (strcmp(a, "--keep-going") == 0) {
        c->keep_going = true;
    } else if (strcmp(a, "--build-info") == 0) {
        printf("sanitizers: %s\n", SIM_SANITIZED ? "yes" : "no");
        return 3;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        usage(stdout);
        return 3;
    } else {
        return 0;
    }
    return 1;
}

/* Parses the command line into c: -1 to run, else the exit status. */
static int parse_args(struct cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x;
        int f = set_flag(c, a);
        if (f >= 3)
            return f - 3;
        if (f == 1)
            continue;
        if (v == NULL) {
            fprintf(stderr, "agora-sim: unknown option or missing value: %s\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (strcmp(a, "--broken") == 0) {
            c->o.broken = sim_broken_parse(v);
            if (c->o.broken < 0) {
                fprintf(stderr, "agora-sim: unknown --broken rule: %s\n", v);
                usage(stderr);
                return 2;
            }
            continue;
        }
        if (parse_u64(a, v, &x) != 0 || set_number(c, a, x) != 0)
            return 2;
    }
    return -1;
}

static void print_stats(const struct sim_stats *st)
{
    printf("sim: simulated %.1fs; %" PRIu64 " messages (%" PRIu64 " dropped, %" PRIu64
           " duplicated), %" PRIu64 " partitions, %" PRIu64 " acceptor crashes (%" PRIu64
           " torn writes), %" PRIu64 " proposer crashes, %" PRIu64 " compactions, %" PRIu64
           " elections, %" PRIu64 " step-downs, %" PRIu64 " resigns, %" PRIu64
           " proposals, %" PRIu64 " slots chosen, %" PRIu64
           " snapshots learned; slowest recovery after faults %.2fs; %" PRIu64
           " lease hand-overs, closest %.1fms\n",
           (double)st->sim_ns / 1e9, st->msgs, st->drops, st->dups, st->partitions,
           st->acc_crashes, st->torn_writes, st->prop_crashes, st->compactions, st->elections,
           st->step_downs, st->resigns, st->proposals, st->chosen, st->snapshots_learned,
           (double)st->settle_ns_max / 1e9, st->handovers,
           st->handovers ? (double)st->handover_min_ns / 1e6 : 0.0);
}

int main(int argc, char **argv)
{
    struct cli c;
    memset(&c, 0, sizeof(c));
    sim_opts_default(&c.o);
    c.seeds = 1000;
    c.first = 1;
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    const struct sim_opts *o = &c.o;

    struct sim_stats st;
    memset(&st, 0, sizeof(st));
    st.handover_min_ns = UINT64_MAX;
    uint64_t violations = 0;
    double t0 = now_s(), last = t0;
    for (uint64_t k = 0; k < c.seeds; k++) {
        uint64_t seed = c.first + k;
        if (sim_run(o, seed, &st) != 0) {
            violations++;
            fflush(o->out);
            if (!c.keep_going)
                break;
        }
        double t = now_s();
        if (!c.quiet && !o->verbose && t - last >= 10.0) {
            printf("sim: %" PRIu64 "/%" PRIu64 " seeds, %" PRIu64 " steps, %.0f seeds/s\n", k + 1,
                   c.seeds, st.steps, (double)(k + 1) / (t - t0));
            fflush(stdout);
            last = t;
        }
    }
    double dt = now_s() - t0;
    if (!c.quiet)
        print_stats(&st);
    printf("sim: %" PRIu64 " seeds, %" PRIu64 " steps, %" PRIu64 " violations (%.1fs)%s%s\n",
           st.seeds, st.steps, violations, dt, o->broken ? " with --broken " : "",
           o->broken ? sim_broken_name(o->broken) : "");
    return violations ? 1 : 0;
}
