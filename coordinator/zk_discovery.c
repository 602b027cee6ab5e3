/* zk_discovery.c: the leading Mesos master from ZooKeeper (zk_discovery.h).
 * Only asynchronous libzookeeper-mt calls: a children watch on the path,
 * then the data of the lowest json.info_ child. Completions and watches run
 * on the library's threads; they store the answer under the mutex and
 * write one byte to the pipe. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "mesos_dl.h"
#include "zk_discovery.h"

#define PREFIX "json.info_"

struct agl_zk {
    zhandle_t *zh;
    char hosts[1024];
    char path[512];
    int pipe[2];
    pthread_mutex_t mu;
    char leader[256];
    unsigned gen;
    bool rearm;                    /* the last children read failed */
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

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    struct agl_zk *z = ctx;

    (void)zh;
    (void)path;
    if (type == *agl_zk.session_event && state == *agl_zk.expired_session_state)
        notify(z, "", true); /* the loop makes a new handle */
    else if (type == *agl_zk.child_event ||
             (type == *agl_zk.session_event && state == *agl_zk.connected_state))
        arm(z);
}

static int connect_zk(struct agl_zk *z)
{
    z->zh = agl_zk.init(z->hosts, watcher, 10000, NULL, z, 0);
    return z->zh != NULL ? 0 : -1;
}

struct agl_zk *agl_zk_new(const char *url, char *why, size_t whylen)
{
    struct agl_zk *z = calloc(1, sizeof *z);

    if (z == NULL)
        return snprintf(why, whylen, "zk: out of memory"), NULL;
    if (agl_zk_parse_url(url, z->hosts, sizeof z->hosts, z->path, sizeof z->path, why,
                         whylen) != 0 ||
        pipe2(z->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(z);
        return NULL;
    }
    pthread_mutex_init(&z->mu, NULL);
    agl_zk.set_debug_level(ZOO_LOG_LEVEL_ERROR);
    if (connect_zk(z) != 0) {
        snprintf(why, whylen, "zk: cannot start a session with %s: %s", z->hosts,
                 strerror(errno));
        agl_zk_free(z);
        return NULL;
    }
    return z;
}

void agl_zk_free(struct agl_zk *z)
{
    if (z == NULL)
        return;
    if (z->zh != NULL)
        agl_zk.close(z->zh);
    close(z->pipe[0]);
    close(z->pipe[1]);
    pthread_mutex_destroy(&z->mu);
    free(z);
}

int agl_zk_fd(const struct agl_zk *z)
{
    return z->pipe[0];
}

void agl_zk_drain(struct agl_zk *z)
{
    char buf[64];
    bool rearm;

    while (read(z->pipe[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&z->mu);
    rearm = z->rearm;
    z->rearm = false;
    pthread_mutex_unlock(&z->mu);
    if (!rearm)
        return;
    if (agl_zk.state(z->zh) == *agl_zk.expired_session_state) {
        agl_zk.close(z->zh);
        z->zh = NULL;
        if (connect_zk(z) != 0)
            return;
    }
    arm(z);
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
