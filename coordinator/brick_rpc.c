/* brick_rpc.c: the native brick client's connection (brick_rpc.h):
 * volfile options, portmap, connect, SETVOLUME, IPC calls, reconnection
 * with back-off. Synchronous: one call at a time, each bounded by its
 * deadline; any failure closes the socket. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "brick_rpc.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

struct brick_rpc {
    struct brick_rpc_cfg cfg;
    int call_ms;
    int fd;                 /* -1: not connected */
    uint32_t xid;
    unsigned reconnects;
    long long retry_at;     /* monotonic ms: no reconnect before */
    int backoff_ms;
    char why[768];
};

/* --- volfile ------------------------------------------------------------- */

static int copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    if (n == 0 || n >= cap)
        return -EINVAL;
    memcpy(dst, v, n);
    dst[n] = 0;
    return 0;
}

/* One "option KEY VALUE" line. */
static int parse_option(const char *line, size_t n, struct brick_rpc_cfg *cfg)
{
    static const char opt[] = "option";
    if (n < sizeof(opt) || memcmp(line, opt, sizeof(opt) - 1) != 0 ||
        (line[6] != ' ' && line[6] != '\t'))
        return 0;
    size_t i = 6, k, v;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    for (k = i; i < n && line[i] != ' ' && line[i] != '\t'; i++)
        ;
    size_t klen = i - k;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    v = i;
    size_t vlen = n - v;
    while (vlen > 0 && (line[v + vlen - 1] == ' ' || line[v + vlen - 1] == '\t'))
        vlen--;
    const char *key = line + k, *val = line + v;
#define IS(name) (klen == strlen(name) && memcmp(key, name, klen) == 0)
    if (IS("remote-host"))
        return copy_value(cfg->host, sizeof(cfg->host), val, vlen);
    if (IS("remote-subvolume"))
        return copy_value(cfg->subvol, sizeof(cfg->subvol), val, vlen);
    if (IS("username"))
        return copy_value(cfg->username, sizeof(cfg->username), val, vlen);
    if (IS("password"))
        return copy_value(cfg->password, sizeof(cfg->password), val, vlen);
    if (IS("remote-port")) {
        char num[8];
        char *end;
        if (copy_value(num, sizeof(num), val, vlen) != 0)
            return -EINVAL;
        long p = strtol(num, &end, 10);
        if (*end != 0 || p <= 0 || p > 65535)
            return -EINVAL;
        cfg->port = (int)p;
    }
#undef IS
    return 0;
}

int brick_rpc_parse_volfile(const char *text, struct brick_rpc_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (const char *p = text; *p != 0;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        while (n > 0 && (*line == ' ' || *line == '\t')) {
            line++;
            n--;
        }
        if (parse_option(line, n, cfg) != 0)
            return -EINVAL;
        p = nl ? nl + 1 : p + strlen(p);
    }
    return cfg->host[0] != 0 && cfg->subvol[0] != 0 ? 0 : -EINVAL;
}

/* --- the exchange ----------------------------------------------------------- */

/* Sends the record in w and reads records until the reply to xid (server
 * callbacks and stale replies are skipped). *rec is malloc'd. */
static int exchange(int fd, const struct rpcw *w, uint32_t xid, long long deadline,
                    uint8_t **rec, size_t *n,
                    int (*check)(const uint8_t *, size_t, uint32_t, void *), void *arg)
{
    int rc = w->err != 0 ? w->err : rpcw_send(fd, w->p, w->len, deadline);
    while (rc == 0) {
        rc = rpcw_read_record(fd, deadline, BRICK_RPC_REPLY_MAX, rec, n);
        if (rc != 0)
            break;
        rc = check(*rec, *n, xid, arg);
        if (rc <= 0)
            return rc;
        free(*rec);
        *rec = NULL;
        rc = 0;
    }
    return rc;
}

static int check_pmap(const uint8_t *rec, size_t n, uint32_t xid, void *arg)
{
    return brick_rpc_pmap_reply(rec, n, xid, arg);
}

static int check_setvolume(const uint8_t *rec, size_t n, uint32_t xid, void *arg)
{
    struct brick_rpc *b = arg;
    return brick_rpc_setvolume_reply(rec, n, xid, b->why, sizeof(b->why));
}

struct ipc_out {
    int fop_rc;
    const uint8_t *val;
    uint32_t len;
};

static int check_ipc(const uint8_t *rec, size_t n, uint32_t xid, void *arg)
{
    struct ipc_out *o = arg;
    return brick_rpc_ipc_reply(rec, n, xid, &o->fop_rc, &o->val, &o->len);
}

static int portmap(struct brick_rpc *b, long long deadline, int *port)
{
    int fd, rc = rpcw_connect(b->cfg.host, BRICK_RPC_GLUSTERD_PORT, deadline, &fd);
    if (rc != 0) {
        snprintf(b->why, sizeof(b->why), "glusterd %.100s: %s", b->cfg.host, strerror(-rc));
        return rc;
    }
    struct rpcw w;
    uint8_t *rec = NULL;
    size_t n;
    uint32_t xid = ++b->xid;
    rpcw_init(&w);
    brick_rpc_pmap_call(&w, xid, b->cfg.subvol);
    rc = exchange(fd, &w, xid, deadline, &rec, &n, check_pmap, port);
    rpcw_free(&w);
    free(rec);
    close(fd);
    if (rc != 0)
        snprintf(b->why, sizeof(b->why), "glusterd %.100s: port of %.300s: %s", b->cfg.host,
                 b->cfg.subvol, rc == -ENOENT ? "no such brick running" : strerror(-rc));
    return rc == -ENOENT ? -ECONNREFUSED : rc; /* the brick is not there */
}

static int setvolume(struct brick_rpc *b, int fd, long long deadline)
{
    char host[64] = "", uuid[256];
    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "unknown");
    /* unique per connection: the brick keys its client state by it */
    snprintf(uuid, sizeof(uuid), "CTX_ID:agora-%lld-GRAPH_ID:0-PID:%d-HOST:%s-PC_NAME:agora-"
             "RECON_NO:-%u", rpcw_now_ms(), (int)getpid(), host, b->reconnects++);
    struct brick_rpc_hello h = {.subvol = b->cfg.subvol, .process_uuid = uuid,
                                .username = b->cfg.username, .password = b->cfg.password};
    struct rpcw w;
    uint8_t *rec = NULL;
    size_t n;
    uint32_t xid = ++b->xid;
    rpcw_init(&w);
    brick_rpc_setvolume_call(&w, xid, &h);
    int rc = exchange(fd, &w, xid, deadline, &rec, &n, check_setvolume, b);
    rpcw_free(&w);
    free(rec);
    return rc;
}

static void disconnect(struct brick_rpc *b)
{
    if (b->fd >= 0)
        close(b->fd);
    b->fd = -1;
}

int brick_rpc_connect(struct brick_rpc *b, long long deadline)
{
    int port = b->cfg.port, fd = -1, rc = 0;
    disconnect(b);
    if (port <= 0)
        rc = portmap(b, deadline, &port);
    if (rc == 0 && (rc = rpcw_connect(b->cfg.host, port, deadline, &fd)) != 0)
        snprintf(b->why, sizeof(b->why), "brick %.100s:%d: %s", b->cfg.host, port, strerror(-rc));
    if (rc == 0 && (rc = setvolume(b, fd, deadline)) != 0) {
        char brick_says[sizeof(b->why)];
        snprintf(brick_says, sizeof(brick_says), "%s", b->why);
        snprintf(b->why, sizeof(b->why), "SETVOLUME %.100s:%d: %s%s%.200s", b->cfg.host, port,
                 strerror(-rc), brick_says[0] ? ": " : "", brick_says);
    }
    if (rc != 0) {
        if (fd >= 0)
            close(fd);
        b->backoff_ms = b->backoff_ms == 0 ? BACKOFF_MIN_MS : 2 * b->backoff_ms;
        if (b->backoff_ms > BACKOFF_MAX_MS)
            b->backoff_ms = BACKOFF_MAX_MS;
        b->retry_at = rpcw_now_ms() + b->backoff_ms;
        return rc;
    }
    b->fd = fd;
    b->backoff_ms = 0;
    b->why[0] = 0;
    return 0;
}

int brick_rpc_new(const struct brick_rpc_cfg *cfg, int call_ms, struct brick_rpc **out)
{
    struct brick_rpc *b = calloc(1, sizeof(*b));
    *out = NULL;
    if (b == NULL)
        return -ENOMEM;
    b->cfg = *cfg;
    b->call_ms = call_ms > 0 ? call_ms : 5000;
    b->fd = -1;
    b->xid = (uint32_t)rpcw_now_ms() * 2654435761u; /* any start; one per connection */
    *out = b;
    return 0;
}

int brick_rpc_ipc(struct brick_rpc *b, uint32_t op, const uint8_t *req, size_t len,
                  uint8_t **reply, size_t *reply_len)
{
    long long deadline = rpcw_now_ms() + b->call_ms;
    *reply = NULL;
    *reply_len = 0;
    if (b->fd < 0) {
        if (rpcw_now_ms() < b->retry_at || brick_rpc_connect(b, deadline) != 0)
            return -ENOTCONN;
    }
    struct rpcw w;
    struct ipc_out o = {0};
    uint8_t *rec = NULL;
    size_t n;
    uint32_t xid = ++b->xid;
    rpcw_init(&w);
    brick_rpc_ipc_call(&w, xid, op, req, len);
    if (w.err != 0) { /* too big to send: the connection is unharmed */
        int err = w.err;
        rpcw_free(&w);
        return err;
    }
    int rc = exchange(b->fd, &w, xid, deadline, &rec, &n, check_ipc, &o);
    rpcw_free(&w);
    if (rc != 0) {
        /* transport failure or a malformed answer: the socket is out of
         * step; the next call reconnects */
        snprintf(b->why, sizeof(b->why), "IPC %.100s:%.300s: %s", b->cfg.host, b->cfg.subvol,
                 strerror(-rc));
        disconnect(b);
        free(rec);
        return rc == -ETIMEDOUT ? rc : rc == -EBADMSG ? -EBADMSG : -ENOTCONN;
    }
    rc = o.fop_rc;
    if (rc == 0 && (*reply = malloc(o.len)) == NULL)
        rc = -ENOMEM;
    if (rc == 0) {
        memcpy(*reply, o.val, o.len);
        *reply_len = o.len;
    }
    free(rec);
    return rc;
}

const char *brick_rpc_why(const struct brick_rpc *b)
{
    return b->why;
}

void brick_rpc_free(struct brick_rpc *b)
{
    if (b == NULL)
        return;
    disconnect(b);
    explicit_bzero(b->cfg.password, sizeof(b->cfg.password));
    free(b);
}
