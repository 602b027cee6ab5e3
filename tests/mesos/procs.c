/* procs.c: see procs.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http_parse.h"
#include "procs.h"

int procs_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void stop_pid(pid_t pid)
{
    int status;

    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

static const char *srcdir(void)
{
    const char *s = getenv("abs_top_srcdir");
    return s != NULL ? s : "../..";
}

int emu_start(struct emu *e, int masters, const char *const *args)
{
    char script[1024], ready[300], base[16], ctl[16], nm[16];
    const char *argv[64];
    int k = 0;

    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/agl-emu-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    e->masters = masters;
    /* masters consecutive free ports: retry until a run of them is free */
    for (int tries = 0; tries < 50; tries++) {
        int p = procs_free_port(), ok = 1;
        for (int i = 1; i < masters && ok; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(p + i)),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
            close(fd);
        }
        if (ok && p > 0 && p + masters < 65535) {
            e->base_port = p;
            break;
        }
    }
    e->control_port = procs_free_port();
    snprintf(script, sizeof script, "%s/tests/mesos/mesos-master-emulator.py", srcdir());
    snprintf(ready, sizeof ready, "%s/ready", e->dir);
    snprintf(base, sizeof base, "%d", e->base_port);
    snprintf(ctl, sizeof ctl, "%d", e->control_port);
    snprintf(nm, sizeof nm, "%d", masters);
    const char *fixed[] = {"python3", script, "--base-port", base, "--control-port", ctl,
                           "--masters", nm, "--ready-file", ready};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[k++] = fixed[i];
    for (size_t i = 0; args != NULL && args[i] != NULL && k < 62; i++)
        argv[k++] = args[i];
    if (getenv("AGL_VERBOSE") != NULL)
        argv[k++] = "-v";
    argv[k] = NULL;
    e->pid = fork();
    if (e->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a killed test leaves nothing behind */
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        if (access(ready, F_OK) == 0)
            return 0;
        if (waitpid(e->pid, NULL, WNOHANG) == e->pid) {
            e->pid = 0;
            return -1;
        }
        sleep_ms(50);
    }
    stop_pid(e->pid);
    e->pid = 0;
    return -1;
}

void emu_stop(struct emu *e)
{
    char cmd[400];
    stop_pid(e->pid);
    e->pid = 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "emu_stop: cannot remove %s\n", e->dir);
}

struct body {
    char *p;
    size_t n;
};

static int grow(void *ctx, const char *buf, size_t n)
{
    struct body *b = ctx;
    char *q = realloc(b->p, b->n + n + 1);
    if (q == NULL)
        return -1;
    memcpy(q + b->n, buf, n);
    b->p = q;
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

/* A blocking connection to the control port, 10 s at most per step. */
static int control_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the answer (Connection: close) through the client's own parser. */
static int control_read(int fd, struct body *b)
{
    struct agl_http_parser hp;
    char buf[4096];
    int rc = AGL_HTTP_MORE;

    agl_http_parser_init(&hp);
    while (rc == AGL_HTTP_MORE) {
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        size_t off = 0, used;
        if (k < 0)
            return -1;
        if (k == 0) {
            rc = agl_http_eof(&hp);
            break;
        }
        do { /* after the header block, again with the rest (even none) */
            rc = agl_http_feed(&hp, buf + off, (size_t)k - off, &used, grow, b);
            off += used;
        } while (rc == AGL_HTTP_HEAD);
    }
    if (rc != AGL_HTTP_DONE || hp.resp.code != 200) {
        fprintf(stderr, "emulator control: HTTP %d %s\n", hp.resp.code, hp.why);
        return -1;
    }
    return 0;
}

static json_t *control(struct emu *e, const char *path, int post)
{
    struct body b = {NULL, 0};
    char req[400];
    json_t *j = NULL;
    int fd = control_connect(e->control_port);
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s"
                     "Connection: close\r\n\r\n", post ? "POST" : "GET", path,
                     e->control_port, post ? "Content-Length: 0\r\n" : "");

    if (fd < 0)
        return NULL;
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n && control_read(fd, &b) == 0 && b.p != NULL)
        j = json_loads(b.p, 0, NULL);
    close(fd);
    free(b.p);
    return j;
}

json_t *emu_state(struct emu *e)
{
    return control(e, "/state", 0);
}

int emu_post(struct emu *e, const char *action)
{
    char path[200];
    snprintf(path, sizeof path, "/%s", action);
    json_t *j = control(e, path, 1);
    json_decref(j);
    return j != NULL ? 0 : -1;
}

void emu_masters_url(struct emu *e, int first, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < e->masters; i++) {
        int k = (first + i) % e->masters;
        n += (size_t)snprintf(out + n, outlen - n, "%shttp://127.0.0.1:%d", i ? "," : "",
                              e->base_port + k);
    }
}

static int can_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int zk_start(struct zk *z)
{
    const char *sh = "/usr/share/zookeeper/bin/zkServer.sh";
    char cfg[400], data[300];
    FILE *f;

    memset(z, 0, sizeof *z);
    if (access(sh, X_OK) != 0)
        return -1;
    snprintf(z->dir, sizeof z->dir, "/tmp/agl-zk-XXXXXX");
    if (mkdtemp(z->dir) == NULL)
        return -1;
    z->port = procs_free_port();
    snprintf(data, sizeof data, "%s/data", z->dir);
    mkdir(data, 0755);
    snprintf(cfg, sizeof cfg, "%s/zoo.cfg", z->dir);
    if ((f = fopen(cfg, "w")) == NULL)
        return -1;
    fprintf(f, "tickTime=250\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\n"
               "clientPortAddress=127.0.0.1\nminSessionTimeout=500\nadmin.enableServer=false\n"
               "4lw.commands.whitelist=ruok\n", data, z->port);
    fclose(f);
    z->pid = fork();
    if (z->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        setenv("ZOO_LOG_DIR", z->dir, 1);
        setenv("ZOO_LOG4J_PROP", "ERROR,ROLLINGFILE", 1);
        if (freopen("/dev/null", "w", stdout) == NULL || freopen("/dev/null", "w", stderr) == NULL)
            _exit(127);
        /* Debian's zkEnv.sh fixes the config folder: name the file itself. */
        execl("/bin/bash", "bash", sh, "start-foreground", cfg, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) {
        if (can_connect(z->port))
            return 0;
        if (waitpid(z->pid, NULL, WNOHANG) == z->pid)
            break;
        sleep_ms(50);
    }
    zk_stop(z);
    return -1;
}

void zk_stop(struct zk *z)
{
    char cmd[400];
    stop_pid(z->pid);
    z->pid = 0;
    if (z->dir[0] != '\0') {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", z->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "zk_stop: cannot remove %s\n", z->dir);
    }
}
