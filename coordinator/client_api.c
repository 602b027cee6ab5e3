/* client_api.c: the client API's socket and connections (client_api.h):
 * listen, accept, read lines, write answers; all non-blocking on the
 * node's loop. The requests themselves are client_api_req.c's. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "client_api_int.h"
#include "log.h"

/* --- connections --------------------------------------------------------------- */

static void conn_close(struct agd_client_api *a, struct api_conn *c)
{
    for (size_t i = 0; i < AGD_API_MAX_CONNS; i++)
        if (a->conns[i] == c)
            a->conns[i] = NULL;
    api_drop_pending(a, c);
    agd_loop_del_fd(a->loop, c->fd);
    close(c->fd);
    free(c->out);
    free(c);
}

/* Writes what it can; false if c was closed. */
static bool conn_flush(struct agd_client_api *a, struct api_conn *c)
{
    while (c->out_len > 0) {
        ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            conn_close(a, c);
            return false;
        }
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (size_t)w;
    }
    if (c->out_len == 0 && c->closing) {
        conn_close(a, c);
        return false;
    }
    agd_loop_set_events(a->loop, c->fd, (short)(c->closing ? 0 : POLLIN) |
                                            (short)(c->out_len > 0 ? POLLOUT : 0));
    return true;
}

void api_send(struct agd_client_api *a, struct api_conn *c, json_t *obj)
{
    char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    size_t len = s != NULL ? strlen(s) : 0;
    if (s == NULL || c->out_len + len + 1 > AGD_API_MAX_OUT) {
        /* out of memory, or a client that does not read its answers */
        free(s);
        conn_close(a, c);
        return;
    }
    if (c->out_len + len + 1 > c->out_cap) {
        size_t cap = c->out_cap * 2 > c->out_len + len + 1 ? c->out_cap * 2 : c->out_len + len + 1;
        char *p = realloc(c->out, cap);
        if (p == NULL) {
            free(s);
            conn_close(a, c);
            return;
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, s, len);
    c->out[c->out_len + len] = '\n';
    c->out_len += len + 1;
    free(s);
    conn_flush(a, c);
}

static bool conn_alive(const struct agd_client_api *a, const struct api_conn *c)
{
    for (size_t i = 0; i < AGD_API_MAX_CONNS; i++)
        if (a->conns[i] == c)
            return true;
    return false;
}

/* Every complete line in c->in; false if c was closed meanwhile. */
static bool conn_lines(struct agd_client_api *a, struct api_conn *c)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(c->in + start, '\n', c->in_len - start);
        if (nl == NULL)
            break;
        size_t len = (size_t)(nl - (c->in + start));
        *nl = '\0';
        if (len > 0)
            api_handle_line(a, c, c->in + start, len);
        if (!conn_alive(a, c)) /* an answer it did not read closed it */
            return false;
        start += len + 1;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (c->in_len >= AGD_API_MAX_LINE) {
        c->closing = true;
        c->in_len = 0;
        api_send(a, c, api_error("bad_request", "request longer than 4096 bytes"));
        return false;
    }
    return true;
}

static void on_conn(struct agd_loop *l, int fd, short revents, void *ctx)
{
    struct api_conn *c = ctx;
    struct agd_client_api *a = c->a;
    (void)l;
    if ((revents & POLLOUT) && !conn_flush(a, c))
        return;
    if (!(revents & (POLLIN | POLLHUP | POLLERR)) || c->closing)
        return;
    ssize_t r = recv(fd, c->in + c->in_len, AGD_API_MAX_LINE - c->in_len, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r <= 0) {
        conn_close(a, c); /* the client hung up: its pending requests go unanswered */
        return;
    }
    c->in_len += (size_t)r;
    conn_lines(a, c);
}

static void refuse(int fd)
{
    static const char msg[] = "{\"ok\":false,\"error\":\"busy\",\"message\":"
                              "\"too many connections\"}\n";
    if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* nothing more to do for it */
    }
    close(fd);
}

static void on_accept(struct agd_loop *l, int lfd, short revents, void *ctx)
{
    struct agd_client_api *a = ctx;
    (void)revents;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a transient error: poll() tells us again */
        size_t slot = AGD_API_MAX_CONNS;
        for (size_t i = 0; i < AGD_API_MAX_CONNS && slot == AGD_API_MAX_CONNS; i++)
            if (a->conns[i] == NULL)
                slot = i;
        struct api_conn *c = slot < AGD_API_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
        if (c == NULL) {
            refuse(fd);
            continue;
        }
        c->a = a;
        c->fd = fd;
        if (agd_loop_add_fd(l, fd, POLLIN, on_conn, c) != 0) {
            free(c);
            refuse(fd);
            continue;
        }
        a->conns[slot] = c;
    }
}

/* --- the socket -------------------------------------------------------------------- */

/* A socket file left at path: replaced if nobody listens on it. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, char *err, size_t el)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, el, "%s: %s", path, strerror(errno)), -1);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, el, "%s exists and is not a socket", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, el, "socket: %s", strerror(errno));
        return -1;
    }
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    int e = errno;
    close(fd);
    if (rc == 0) {
        snprintf(err, el, "%s: another process listens on it (another agorad?)", path);
        return -1;
    }
    if (e != ECONNREFUSED) {
        snprintf(err, el, "%s: %s", path, strerror(e));
        return -1;
    }
    return unlink(path) == 0 || errno == ENOENT ? 0
                                                 : (snprintf(err, el, "cannot remove the stale "
                                                             "%s: %s", path, strerror(errno)), -1);
}

static int listen_on(const char *path, char *err, size_t el)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, el, "%s: too long for a unix socket", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (clear_stale(path, &sa, err, el) != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, el, "socket: %s", strerror(errno));
        return -1;
    }
    /* On Linux the socket file takes the socket inode's mode at bind(): root
     * alone may submit (a join puts a key into authorized_keys). */
    if (fchmod(fd, 0600) != 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        chmod(path, 0600) != 0 || listen(fd, AGD_API_MAX_CONNS) != 0) {
        snprintf(err, el, "cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int agd_client_api_new(struct agd_node *n, const char *path, struct agd_client_api **out,
                       char *err, size_t errlen)
{
    struct agd_client_api *a = calloc(1, sizeof(*a));
    if (a == NULL || (a->path = strdup(path)) == NULL) {
        free(a);
        snprintf(err, errlen, "client API: out of memory");
        return -1;
    }
    a->n = n;
    a->loop = agd_node_loop(n);
    a->lfd = listen_on(path, err, errlen);
    if (a->lfd < 0 || agd_loop_add_fd(a->loop, a->lfd, POLLIN, on_accept, a) != 0) {
        if (a->lfd >= 0) {
            snprintf(err, errlen, "client API: cannot watch %s", path);
            close(a->lfd);
            unlink(path);
        }
        free(a->path);
        free(a);
        return -1;
    }
    struct agd_observer o = {.applied = api_on_applied, .turn = api_on_turn, .ctx = a};
    agd_node_set_observer(n, &o);
    *out = a;
    return 0;
}

void agd_client_api_free(struct agd_client_api *a)
{
    if (a == NULL)
        return;
    agd_node_set_observer(a->n, NULL);
    for (size_t i = 0; i < AGD_API_MAX_CONNS; i++)
        if (a->conns[i] != NULL)
            conn_close(a, a->conns[i]);
    agd_loop_del_fd(a->loop, a->lfd);
    close(a->lfd);
    unlink(a->path);
    free(a->pend);
    free(a->path);
    free(a);
}
