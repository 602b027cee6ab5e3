/* zk_discovery.c: the leading Mesos master from ZooKeeper (zk_discovery.h).
 * Only asynchronous libzookeeper-mt calls: a children watch on the path,
 * then the data of the lowest json.info_ child. Completions and watches run
 * on the library's threads; they store the answer under the mutex and
 * write one byte to the pipe.
 *
 * A session starts from numeric addresses only: the URL's hosts are
 * resolved first (zk_resolve.h, getaddrinfo_a), as zookeeper_init would
 * resolve names with a blocking getaddrinfo on the loop's thread. The
 * lookups' eventfds and the pipe share one epoll fd, agl_zk_fd, so the
 * launcher still watches one descriptor from its start to its stop. At
 * any time one of these holds: the hosts are being resolved (res), a
 * session exists (zh), or neither (failed, why saying why) until
 * agl_zk_check starts again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "mesos_dl.h"
#include "zk_discovery.h"
#include "zk_resolve.h"

#define PREFIX "json.info_"
#define SESSION_MS 10000
/* Not connected this long: the servers may have moved behind their names. */
#define STALE_NS (2LL * SESSION_MS * 1000000LL)

struct agl_zk {
    zhandle_t *zh;
    struct agl_zkres *res;         /* the hosts being resolved, before zh */
    bool note;                     /* a session, but why names hosts that failed */
    char why[512];
    char hosts[1024];
    char path[512];
    int pipe[2];
    int ep;                        /* epoll of pipe[0] and res's eventfds */
    pthread_mutex_t mu;
    char leader[256];
    unsigned gen;
    bool rearm;                    /* the last children read failed */
    long long down_since;          /* monotonic ns the session was lost, 0: connected */
};

int agl_zk_parse_url(const char *url, char *hosts, size_t hostslen, char *path, size_t pathlen,
                     char *why, size_t whylen)
{
    const char *p = url, *slash, *at;

    if (strncmp(p, "zk://", 5) != 0)
        return snprintf(why, whylen, "\"%s\" does not start with zk://", url), -1;
    p += 5;
    slash = strchr(p, '/');
    at = strchr(p, '@');
    if (at != NULL && (slash == NULL || at < slash))
        p = at + 1; /* credentials: digest auth is not supported, the hosts are kept */
    if (slash == NULL || slash == p || slash[1] == '\0')
        return snprintf(why, whylen, "\"%s\": expected zk://host:port[,...]/path, path not /",
                        url), -1;
    if ((size_t)(slash - p) >= hostslen || strlen(slash) >= pathlen)
        return snprintf(why, whylen, "\"%s\" is too long", url), -1;
    memcpy(hosts, p, (size_t)(slash - p));
    hosts[slash - p] = '\0';
    snprintf(path, pathlen, "%s", slash);
    if (strlen(path) > 1 && path[strlen(path) - 1] == '/')
        path[strlen(path) - 1] = '\0';
    return 0;
}

const char *agl_zk_pick_leader(const char *const *children, size_t n)
{
    const char *best = NULL;

    for (size_t i = 0; i < n; i++) {
        const char *c = children[i];
        if (strncmp(c, PREFIX, strlen(PREFIX)) != 0)
            continue;
        /* Same width (10 digits), so the string order is the number order. */
        if (best == NULL || strcmp(c + strlen(PREFIX), best + strlen(PREFIX)) < 0)
            best = c;
    }
    return best;
}

int agl_zk_master_address(const char *data, size_t len, char *out, size_t outlen)
{
    json_t *o = json_loadb(data, len, 0, NULL), *a = json_object_get(o, "address");
    const char *host = json_string_value(json_object_get(a, "ip"));
    json_int_t port = json_integer_value(json_object_get(a, "port"));
    int rc = -1;

    if (host == NULL)
        host = json_string_value(json_object_get(a, "hostname"));
    if (host == NULL)
        host = json_string_value(json_object_get(o, "hostname"));
    if (port == 0)
        port = json_integer_value(json_object_get(o, "port"));
    if (host != NULL && port > 0 && port < 65536) {
        snprintf(out, outlen, "%s:%lld", host, (long long)port);
        rc = 0;
    }
    json_decref(o);
    return rc;
}

static void notify(struct agl_zk *z, const char *leader, bool rearm)
{
    char b = 1;

    pthread_mutex_lock(&z->mu);
    if (leader != NULL && strcmp(leader, z->leader) != 0) {
        snprintf(z->leader, sizeof z->leader, "%s", leader);
        z->gen++;
    }
    z->rearm = z->rearm || rearm;
    pthread_mutex_unlock(&z->mu);
    if (write(z->pipe[1], &b, 1) < 0 && errno != EAGAIN)
        return;
}

static void data_done(int rc, const char *value, int len, const struct Stat *st, const void *d)
{
    struct agl_zk *z = (struct agl_zk *)d;
    char hp[256];

    (void)st;
    if (rc == ZOK && value != NULL && agl_zk_master_address(value, (size_t)len, hp, sizeof hp) == 0)
        notify(z, hp, false);
    else if (rc != ZCLOSING)
        notify(z, NULL, true); /* the node went away between the two reads: read again */
}

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);

static void children_done(int rc, const struct String_vector *v, const void *d)
{
    struct agl_zk *z = (struct agl_zk *)d;
    char node[1024];
    const char *best;

    if (rc != ZOK) {
        if (rc != ZCLOSING)
            notify(z, "", true);
        return;
    }
    best = agl_zk_pick_leader((const char *const *)v->data, (size_t)v->count);
    if (best == NULL) {
        notify(z, "", false);
        return;
    }
    snprintf(node, sizeof node, "%s/%s", z->path, best);
    if (agl_zk.aget(z->zh, node, 0, data_done, z) != ZOK)
        notify(z, NULL, true);
}

static void arm(struct agl_zk *z)
{
    if (agl_zk.awget_children(z->zh, z->path, watcher, z, children_done, z) != ZOK)
        notify(z, NULL, true);
}

static long long mono_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 1; /* cannot fail with this clock; 1 still means "not connected" */
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void set_connected(struct agl_zk *z, bool up)
{
    pthread_mutex_lock(&z->mu);
    if (up)
        z->down_since = 0;
    else if (z->down_since == 0)
        z->down_since = mono_ns();
    pthread_mutex_unlock(&z->mu);
}

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    struct agl_zk *z = ctx;

    (void)zh;
    (void)path;
    if (type == *agl_zk.session_event)
        set_connected(z, state == *agl_zk.connected_state);
    if (type == *agl_zk.session_event && state == *agl_zk.expired_session_state)
        notify(z, "", true); /* the loop makes a new handle */
    else if (type == *agl_zk.child_event ||
             (type == *agl_zk.session_event && state == *agl_zk.connected_state))
        arm(z);
}

/* Adds (EPOLL_CTL_ADD) or removes (EPOLL_CTL_DEL) the lookups' eventfds. */
static int watch_res(struct agl_zk *z, int op)
{
    int fds[AGL_ZKRES_HOSTS], n = agl_zkres_fds(z->res, fds, AGL_ZKRES_HOSTS);

    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(z->ep, op, fds[i], &ev) != 0 && op == EPOLL_CTL_ADD)
            return -1;
    }
    return 0;
}

static void stop_res(struct agl_zk *z)
{
    if (z->res == NULL)
        return;
    watch_res(z, EPOLL_CTL_DEL); /* before the free: the fds may outlive it */
    agl_zkres_free(z->res);
    z->res = NULL;
}

/* No session and none coming (every host failed to resolve, or
 * zookeeper_init failed): z->why says why. */
static bool failed(const struct agl_zk *z)
{
    return z->zh == NULL && z->res == NULL;
}

/* When the lookups are done: the session, from the addresses found. */
static void resolved(struct agl_zk *z)
{
    char numeric[2048];
    int rc = agl_zkres_result(z->res, numeric, sizeof numeric, z->why, sizeof z->why);

    if (rc == 1)
        return;
    stop_res(z);
    z->note = rc == 0 && z->why[0] != '\0';
    if (rc != 0)
        return;
    pthread_mutex_lock(&z->mu);
    z->down_since = mono_ns(); /* not connected yet: counted from now */
    pthread_mutex_unlock(&z->mu);
    z->zh = agl_zk.init(numeric, watcher, SESSION_MS, NULL, z, 0);
    if (z->zh == NULL) {
        z->note = false;
        snprintf(z->why, sizeof z->why, "zk: cannot start a session with %.200s (%.200s): %s",
                 z->hosts, numeric, strerror(errno));
    }
}

/* Resolves the hosts, then starts a session (at once if all are numeric). */
static void start_session(struct agl_zk *z)
{
    z->res = agl_zkres_start(z->hosts, z->why, sizeof z->why);
    if (z->res == NULL)
        return;
    if (watch_res(z, EPOLL_CTL_ADD) != 0) {
        snprintf(z->why, sizeof z->why, "zk: cannot watch the lookups of %.300s: %s", z->hosts,
                 strerror(errno));
        stop_res(z);
        return;
    }
    resolved(z);
}

/* Drops the session (or the lookups) and starts from the names again. */
static void restart(struct agl_zk *z)
{
    if (z->zh != NULL)
        agl_zk.close(z->zh); /* the handle is freed whatever it returns */
    z->zh = NULL;
    stop_res(z);
    start_session(z);
}

static int open_fds(struct agl_zk *z)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = -1};

    if (pipe2(z->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    ev.data.fd = z->pipe[0];
    if ((z->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        epoll_ctl(z->ep, EPOLL_CTL_ADD, z->pipe[0], &ev) != 0)
        return -1;
    return 0;
}

struct agl_zk *agl_zk_new(const char *url, char *why, size_t whylen)
{
    struct agl_zk *z = calloc(1, sizeof *z);

    if (z == NULL || pthread_mutex_init(&z->mu, NULL) != 0) {
        free(z);
        return snprintf(why, whylen, "zk: out of memory"), NULL;
    }
    z->pipe[0] = z->pipe[1] = z->ep = -1;
    if (agl_zk_parse_url(url, z->hosts, sizeof z->hosts, z->path, sizeof z->path, why,
                         whylen) != 0)
        goto fail;
    if (open_fds(z) != 0) {
        snprintf(why, whylen, "zk: no pipe or epoll: %s", strerror(errno));
        goto fail;
    }
    agl_zk.set_debug_level(ZOO_LOG_LEVEL_ERROR);
    start_session(z);
    if (!failed(z))
        return z; /* a session, or names being resolved */
    snprintf(why, whylen, "%s", z->why);
fail:
    agl_zk_free(z);
    return NULL;
}

void agl_zk_free(struct agl_zk *z)
{
    if (z == NULL)
        return;
    if (z->zh != NULL)
        agl_zk.close(z->zh);
    stop_res(z);
    for (int i = 0; i < 2; i++)
        if (z->pipe[i] >= 0)
            close(z->pipe[i]);
    if (z->ep >= 0)
        close(z->ep);
    pthread_mutex_destroy(&z->mu);
    free(z);
}

int agl_zk_fd(const struct agl_zk *z)
{
    return z->ep;
}

void agl_zk_drain(struct agl_zk *z)
{
    char buf[64];
    bool rearm;

    while (read(z->pipe[0], buf, sizeof buf) > 0)
        ;
    if (z->res != NULL)
        resolved(z);
    pthread_mutex_lock(&z->mu);
    rearm = z->rearm;
    z->rearm = false;
    pthread_mutex_unlock(&z->mu);
    if (!rearm || z->zh == NULL)
        return;
    if (agl_zk.state(z->zh) == *agl_zk.expired_session_state)
        restart(z); /* the names resolved again: a server moved behind one is found */
    else
        arm(z);
}

/* Not connected for STALE_NS: a new session from the names. */
static int check_stale(struct agl_zk *z, char *why, size_t whylen)
{
    long long down, now = mono_ns();

    pthread_mutex_lock(&z->mu);
    down = z->down_since;
    pthread_mutex_unlock(&z->mu);
    if (z->zh == NULL || down == 0 || now - down < STALE_NS)
        return 0;
    snprintf(why, whylen, "zk: no session with %s for %lld s; resolving it again", z->hosts,
             (now - down) / 1000000000LL);
    restart(z);
    return 1;
}

int agl_zk_check(struct agl_zk *z, char *why, size_t whylen)
{
    if (z->res != NULL)
        return 0;
    if (z->note) {
        snprintf(why, whylen, "%s (using the other hosts)", z->why);
        z->note = false;
        return 1;
    }
    if (!failed(z))
        return check_stale(z, why, whylen);
    snprintf(why, whylen, "%s; resolving %s again", z->why, z->hosts);
    restart(z);
    return -1;
}

unsigned agl_zk_leader(struct agl_zk *z, char *out, size_t outlen)
{
    unsigned gen;

    pthread_mutex_lock(&z->mu);
    snprintf(out, outlen, "%s", z->leader);
    gen = z->gen;
    pthread_mutex_unlock(&z->mu);
    return gen;
}
