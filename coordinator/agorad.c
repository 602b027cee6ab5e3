/* agorad.c: the coordinator daemon's main (agorad(8)). Modules start in
 * dependency order and stop in reverse (as chrony's main.c does):
 *   config (and what the launcher needs) -> log level -> signals -> loop ->
 *   cluster spec -> transport -> node
 * Signals only set a flag: the handler writes the signal number to a
 * self-pipe that the loop watches (a signalfd would need every thread,
 * the brick transport's and the launchers', to keep the signals blocked):
 *   SIGTERM, SIGINT  clean stop: leader command stopped, lease released;
 *                    a second one stops at once
 *   SIGHUP           reload the cluster spec and the log level (a bad file
 *                    is logged and the old settings kept) */
#define _GNU_SOURCE
#ifdef HAVE_CONFIG_H
#include "config.h" /* autoconf: PACKAGE_VERSION */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client_api.h"
#include "cluster_spec.h"
#include "conf.h"
#include "discover.h"
#include "leader_launch.h"
#include "log.h"
#include "loop.h"
#include "node.h"
#include "spec.h"
#include "transport_brick.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define EXIT_CONFIG 78 /* EX_CONFIG */
#define RUN_DIR "/run/agora"

struct agorad {
    const char *config_path;
    struct agd_config cfg;
    struct agd_loop *loop;
    struct agd_spec spec;
    struct agd_transport *tr;
    struct agd_node *node;
    struct agd_launch *launch;     /* NULL without a cluster spec */
    struct agd_client_api *api;    /* NULL with "client_socket": false */
    int sfd;
    int terms;
    int exit_code;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: agorad [-c PATH] [--check]\n"
            "The Agora coordinator: elects a leader among the hosts through the bricks of a\n"
            "GlusterFS volume, and runs the leader-only command while holding the lease.\n"
            "\n"
            "  -c, --config PATH  configuration file (default " AGD_CONFIG_DEFAULT ")\n"
            "      --check        check the configuration and the cluster spec, then exit\n"
            "  -h, --help         show this help and exit\n"
            "  -V, --version      show the version and exit\n"
            "\n"
            "Signals: SIGTERM stops cleanly (the leader command is stopped, then the\n"
            "lease released); SIGHUP reloads the cluster spec and the log level.\n"
            "Exit status: 0 stopped cleanly, 1 runtime error, 2 usage, 78 bad configuration.\n"
            "See agorad(8) and agorad.json(5).\n");
}

static int parse_args(int argc, char **argv, struct agorad *d, bool *check)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'c': d->config_path = optarg; break;
        case 'k': *check = true; break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("agorad " PACKAGE_VERSION "\n"); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "agorad: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
}

/* --- signals ---------------------------------------------------------------------- */

static void stopped(void *ctx)
{
    struct agorad *d = ctx;
    agd_log(AGD_NOTICE, "stopped cleanly");
    agd_loop_stop(d->loop);
}

static void reload(struct agorad *d)
{
    char err[AGD_CONFIG_ERR_MAX];
    struct agd_config fresh;
    if (agd_config_load(d->config_path, &fresh, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "reload: %s (keeping the old configuration)", err);
    } else {
        agd_log_set_level(fresh.log_level);
        agd_log(AGD_NOTICE, "reload: log level %s", agd_log_level_name(fresh.log_level));
        agd_config_free(&fresh);
    }
    if (agd_spec_load(&d->spec, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "reload: %s (keeping the old cluster spec)", err);
    } else if (d->spec.path != NULL) {
        agd_log(AGD_NOTICE, "reload: cluster spec %s loaded", d->spec.path);
        agd_launch_reload(d->launch);
    }
}

static void on_signal(struct agd_loop *l, int fd, short revents, void *ctx)
{
    struct agorad *d = ctx;
    unsigned char signo;
    (void)revents;
    while (read(fd, &signo, 1) == 1) {
        if (signo == SIGHUP) {
            reload(d);
        } else if (d->terms++ == 0) {
            agd_log(AGD_NOTICE, "signal %u: stopping (leader command first, then the lease)",
                    signo);
            agd_node_shutdown(d->node, stopped, d);
        } else {
            agd_log(AGD_NOTICE, "signal %u again: stopping now", signo);
            agd_loop_stop(l);
        }
    }
}

static int setup_signals(struct agorad *d)
{
    static const int signos[] = {SIGTERM, SIGINT, SIGHUP, 0};
    d->sfd = agd_signal_pipe_open(signos);
    return d->sfd >= 0 ? 0 : -1;
}

/* --- start and stop ------------------------------------------------------------------------- */

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t random64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (uint64_t)getpid() << 32 ^ agd_clock_monotonic(NULL);
    return v;
}

/* Where the per-brick volfiles go: systemd's RuntimeDirectory, else
 * /run/agora, else a fresh private folder (never a predictable /tmp path). */
static int runtime_dir(const struct agd_config *c, char *out, size_t len)
{
    const char *rt = getenv("RUNTIME_DIRECTORY");
    if (rt == NULL && (mkdir(RUN_DIR, 0700) == 0 || errno == EEXIST) && access(RUN_DIR, W_OK) == 0)
        rt = RUN_DIR;
    if (rt != NULL) {
        snprintf(out, len, "%s/node%" PRIu32, rt, c->id);
        return 0;
    }
    snprintf(out, len, "%s/agorad-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(out) != NULL ? 0 : -1;
}

static int start(struct agorad *d)
{
    char err[AGD_CONFIG_ERR_MAX];
    if (setup_signals(d) != 0 || (d->loop = agd_loop_new(agd_clock_monotonic, NULL)) == NULL ||
        agd_loop_add_fd(d->loop, d->sfd, POLLIN, on_signal, d) != 0) {
        agd_log(AGD_ERR, "cannot set up the event loop: %s", strerror(errno));
        return 1;
    }
    /* The bricks accept (tag, seq) only above what they saw from our node
     * id: the tag must grow across restarts, so it is the start time. */
    uint64_t tag = realtime_ns();
    char dir[256], glog[300];
    if (runtime_dir(&d->cfg, dir, sizeof(dir)) != 0 || (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
        agd_log(AGD_ERR, "cannot create a runtime folder %s: %s", dir, strerror(errno));
        return 1;
    }
    snprintf(glog, sizeof(glog), "%s/volfile-fetch.log", dir);
    if (agd_discover_bricks(&d->cfg, glog, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "%s", err);
        return 1;
    }
    for (size_t i = 0; i < d->cfg.n_bricks; i++)
        agd_log(AGD_INFO, "brick %zu: %s:%s%s", i, d->cfg.bricks[i].host, d->cfg.bricks[i].path,
                d->cfg.bricks[i].password != NULL ? " (with credentials)" : "");
    if (agd_brick_transport_new(&d->cfg, d->loop, tag, dir, &d->tr, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "%s", err);
        return EXIT_CONFIG;
    }
    struct agd_node_opts o = {.cfg = &d->cfg, .loop = d->loop, .tr = d->tr, .tag = tag,
                              .seed = random64(), .log_prefix = ""};
    if (agd_node_new(&o, &d->node) != 0) {
        agd_log(AGD_ERR, "cannot start the node");
        return 1;
    }
    if (agd_launch_new(d->node, &d->cfg, &d->launch, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "%s", err);
        return EXIT_CONFIG;
    }
    if (d->cfg.client_socket != NULL &&
        agd_client_api_new(d->node, d->cfg.client_socket, &d->api, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "client API: %s", err);
        return 1;
    }
    agd_log(AGD_NOTICE, "started: member %s (node %" PRIu32 "), %zu bricks, lease %u ms",
            d->cfg.name, d->cfg.id, d->cfg.n_bricks, d->cfg.lease_ms);
    return 0;
}

static void stop(struct agorad *d)
{
    agd_client_api_free(d->api);
    agd_launch_free(d->launch); /* a local launcher's tasks die with it */
    agd_node_free(d->node); /* kills the leader command if it still runs */
    agd_tr_close(d->tr);
    agd_spec_free(&d->spec);
    if (d->loop != NULL && d->sfd >= 0)
        agd_loop_del_fd(d->loop, d->sfd);
    agd_loop_free(d->loop);
    agd_signal_pipe_close();
    agd_config_free(&d->cfg);
}

int main(int argc, char **argv)
{
    struct agorad d = {.config_path = AGD_CONFIG_DEFAULT, .sfd = -1};
    bool check = false;
    char err[AGD_CONFIG_ERR_MAX];
    if (parse_args(argc, argv, &d, &check) != 0)
        return EXIT_USAGE;
    if (agd_config_load(d.config_path, &d.cfg, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "%s", err);
        return EXIT_CONFIG;
    }
    /* the Mesos masters through the launcher's parser, its library loaded */
    if (agd_launch_check(&d.cfg, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "%s", err);
        agd_config_free(&d.cfg);
        return EXIT_CONFIG;
    }
    agd_log_set_level(d.cfg.log_level);
    agd_spec_init(&d.spec, d.cfg.cluster_spec, agl_spec_check_json);
    if (agd_spec_load(&d.spec, err, sizeof(err)) != 0) {
        agd_log(AGD_ERR, "%s", err);
        stop(&d);
        return EXIT_CONFIG;
    }
    if (check) {
        printf("%s: configuration OK\n", d.config_path);
        stop(&d);
        return 0;
    }
    int rc = start(&d);
    if (rc == 0 && agd_loop_run(d.loop) != 0) {
        agd_log(AGD_ERR, "event loop: %s", strerror(errno));
        rc = 1;
    }
    stop(&d);
    /* The brick transport's threads (one per brick) may still be running:
     * exit() would run library destructors under their feet. */
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
}
