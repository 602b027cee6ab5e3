/* mesos_client_rss.c: what a subscribed Mesos launcher costs its process
 * (docs/benchmarks.md, Memory; not a test, run by hand). One launcher,
 * through the test harness (harness.h), against the Mesos master emulator
 * (three masters, the first one named a follower, so a 307 is followed):
 * the seed spec's five tasks launched and running, then SECONDS more
 * (default 10) of heartbeats and offers. Prints the process's memory
 * before the launcher exists and at the end, and the libraries mapped at
 * the end: the launcher on its own, without agorad (which
 * bench/agorad-memory.sh --launcher mesos measures whole, subscribed).
 *
 *   mesos_client_rss [SECONDS]      (abs_top_srcdir: the source tree) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "procs.h"

static const char *const FAST[] = {"--agents", "5", "--heartbeat", "0.5",
                                   "--allocation-interval", "0.1", "--status-retry", "0.5", NULL};

/* kB of a "Name:  N kB" line of a /proc file (summed over its lines). */
static long proc_kb(const char *file, const char *name)
{
    FILE *f = fopen(file, "r");
    char line[256];
    long sum = 0, v;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, name, strlen(name)) == 0 && sscanf(line + strlen(name), " %ld", &v) == 1)
            sum += v;
    }
    fclose(f);
    return sum;
}

static void show(const char *when)
{
    printf("%-44s VmRSS %6ld kB  Pss %6ld kB  Private_Dirty %6ld kB  threads %ld\n", when,
           proc_kb("/proc/self/status", "VmRSS:"), proc_kb("/proc/self/smaps_rollup", "Pss:"),
           proc_kb("/proc/self/smaps_rollup", "Private_Dirty:"),
           proc_kb("/proc/self/status", "Threads:"));
}

/* The shared libraries mapped now, one line each. */
static void show_libraries(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512], last[512] = "";
    int n = 0;

    if (f == NULL)
        return;
    printf("libraries mapped:");
    while (fgets(line, sizeof line, f) != NULL) {
        char *path = strchr(line, '/');
        if (path == NULL || strstr(path, ".so") == NULL || strcmp(path, last) == 0)
            continue;
        snprintf(last, sizeof last, "%s", path);
        path[strcspn(path, "\n")] = '\0';
        printf(" %s", strrchr(path, '/') + 1);
        n++;
    }
    printf("\n(%d libraries)\n", n);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 65536);
    if (f == NULL || buf == NULL || fread(buf, 1, 65535, f) == 0) {
        if (f != NULL)
            fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    const char *top = getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : "../..";
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    char path[1024], masters[512];
    struct emu e;
    struct h_world w;

    snprintf(path, sizeof path, "%s/docs/examples/seed-cluster.json", top);
    char *text = read_file(path);
    struct agl_spec *spec = text != NULL ? h_load_spec(text) : NULL;
    if (spec == NULL || emu_start(&e, 3, FAST) != 0) {
        fprintf(stderr, "mesos_client_rss: no spec (%s) or no emulator\n", path);
        return 1;
    }
    h_world_init(&w);
    emu_masters_url(&e, 1, masters, sizeof masters);
    show("before the launcher");
    struct agl_config cfg = {.backend = AGL_BACKEND_MESOS, .node = "host1", .masters = masters,
                             .backoff_min_s = 0.1, .backoff_max_s = 1.0};
    struct h_node *n = h_node_new(&w, &cfg);
    bool ok = n != NULL && h_lead_until(n, spec, false, h_all_running, (void *)(uintptr_t)5, 30000);
    if (ok) {
        h_run_for(&w, seconds * 1000);
        char when[64];
        snprintf(when, sizeof when, "subscribed, 5 tasks running, +%d s", seconds);
        show(when);
        show_libraries();
    }
    h_world_free(&w);
    emu_stop(&e);
    agl_spec_free(spec);
    free(text);
    if (!ok)
        fprintf(stderr, "mesos_client_rss: the five tasks did not run\n");
    return ok ? 0 : 1;
}
