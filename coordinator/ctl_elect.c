/* ctl_elect.c: set-up and tear-down of `agoractl elect` (ctl_elect.h): the
 * configuration, the contender's slot and node id, the brick transport,
 * the signals; the contender itself is ctl_elect_node.c.
 *
 * Node id: ELECT_NODE_BIT | config id << 10 | slot, where slot is the first
 * of 0..1023 whose file ELECT_LOCK_DIR/slot.N this process can flock on
 * this host. Every elect process on a host (whatever its name) has its own
 * slot, so its sender id is unique on the bricks, whose replay check keeps
 * one (tag, seq) per sender; the bit keeps it apart from agorad's ids
 * (< 2^20 here) and agoractl's (id + 2^31). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "discover.h"
#include "log.h"
#include "transport_brick.h"
#include "ctl_elect_int.h"

static char tmp_dir[256];

static void on_signal(struct agd_loop *l, int fd, short revents, void *ctx)
{
    struct elect *e = ctx;
    unsigned char b;
    (void)l;
    (void)revents;
    while (read(fd, &b, 1) == 1) {
        if (e->signo != 0) /* a second signal: leave now; the keeper kills CMD */
            _exit(128 + b);
        elect_node_signal(e, b);
    }
}

static int watch_signals(struct elect *e)
{
    static const int signos[] = {SIGTERM, SIGINT, 0};
    int fd = agd_signal_pipe_open(signos);
    return fd >= 0 ? agd_loop_add_fd(e->loop, fd, POLLIN, on_signal, e) : -1;
}

/* The first free slot; its lock is held (fd left open) until we exit. */
static int take_slot(char *err, size_t errlen)
{
    char dir[256], path[300];
    snprintf(dir, sizeof(dir), "%s", ELECT_LOCK_DIR);
    if ((mkdir("/run/agora", 0755) != 0 && errno != EEXIST) ||
        (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/agora-elect-%u", t != NULL ? t : "/tmp",
                 (unsigned)getuid());
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s or %s: %s", ELECT_LOCK_DIR, dir,
                     strerror(errno));
            return -1;
        }
    }
    for (int slot = 0; slot < ELECT_SLOTS; slot++) {
        snprintf(path, sizeof(path), "%s/slot.%d", dir, slot);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return slot;
        close(fd);
    }
    snprintf(err, errlen, "all %d slots of %s are taken", ELECT_SLOTS, dir);
    return -1;
}

static void warn_sink(void *ctx, int level, const char *line)
{
    (void)ctx;
    if (level <= AGD_WARNING)
        fprintf(stderr, "agoractl: %s\n", line);
}

/* Config checks of our own: the id fits the node id, the command fits
 * the lease (as conf_cmd.c checks the leader command). */
static int check_config(const struct agd_config *c, char *err, size_t errlen)
{
    uint64_t need = (uint64_t)c->grace_ms + c->margin_ms + c->heartbeat_ms;
    if (c->id >= ELECT_ID_LIMIT) {
        snprintf(err, errlen, "%s: field 'id': elect needs an id below %u, got %u", c->file,
                 ELECT_ID_LIMIT, c->id);
        return -1;
    }
    if (need >= agd_config_lease_span_ms(c)) {
        snprintf(err, errlen, "%s: grace_ms + margin_ms + heartbeat_ms (%llu ms) must be "
                 "below the lease less the drift margin (%u ms)", c->file,
                 (unsigned long long)need, agd_config_lease_span_ms(c));
        return -1;
    }
    return 0;
}

static int connect_bricks(struct elect *e, char *err, size_t errlen)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/agoractl-elect-XXXXXX", t != NULL ? t : "/tmp");
    if (mkdtemp(tmp_dir) == NULL) {
        snprintf(err, errlen, "cannot create %s: %s", tmp_dir, strerror(errno));
        tmp_dir[0] = '\0';
        return -1;
    }
    if (agd_discover_bricks(&e->cfg, NULL, err, errlen) != 0)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e->tag = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    e->loop = agd_loop_new(agd_clock_monotonic, NULL);
    if (e->loop == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint32_t id = e->cfg.id;
    e->cfg.id = e->node; /* the transport seals with cfg->id */
    int rc = agd_brick_transport_new(&e->cfg, e->loop, e->tag, tmp_dir, &e->tr, err, errlen);
    e->cfg.id = id;
    return rc;
}

static void remove_tmp(void)
{
    char p[320];
    if (tmp_dir[0] == '\0')
        return;
    for (unsigned i = 0; i < AGD_MAX_BRICKS; i++) {
        snprintf(p, sizeof(p), "%s/brick%u.vol", tmp_dir, i);
        unlink(p);
        snprintf(p, sizeof(p), "%s/brick%u.log", tmp_dir, i);
        unlink(p);
    }
    rmdir(tmp_dir);
}

/* _exit after removing our folder, as ctl_exit does. */
static _Noreturn void leave(int code)
{
    fflush(NULL);
    remove_tmp();
    _exit(code);
}

int ctl_elect_run(const struct elect_opts *o)
{
    static struct elect e; /* the signal handler's pipe callback reaches it */
    char err[2048] = "";
    memset(&e, 0, sizeof(e));
    e.o = o;
    agd_log_set_sink(warn_sink, NULL);
    if (agd_config_load(o->config, &e.cfg, err, sizeof(err)) != 0 ||
        check_config(&e.cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "agoractl: %s\n", err);
        return 78;
    }
    int slot = take_slot(err, sizeof(err));
    if (slot < 0) {
        fprintf(stderr, "agoractl elect: %s\n", err);
        return 1;
    }
    e.node = ELECT_NODE_BIT | e.cfg.id << 10 | (uint32_t)slot;
    if (connect_bricks(&e, err, sizeof(err)) != 0 || watch_signals(&e) != 0 ||
        elect_node_start(&e) != 0) {
        fprintf(stderr, "agoractl elect: %s\n", err[0] ? err : strerror(errno));
        leave(1);
    }
    agd_loop_run(e.loop);
    leave(e.code);
}
