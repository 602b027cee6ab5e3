/* procs.c: see procs.h. */
#define _GNU_SOURCE
#include <curl/curl.h>
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
#include <time.h>
#include <unistd.h>

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

static size_t grow(char *buf, size_t size, size_t n, void *ctx)
{
    struct body *b = ctx;
    char *q = realloc(b->p, b->n + size * n + 1);
    if (q == NULL)
        return 0;
    memcpy(q + b->n, buf, size * n);
    b->p = q;
    b->n += size * n;
    b->p[b->n] = '\0';
    return size * n;
}

static json_t *control(struct emu *e, const char *path, int post)
{
    CURL *c = curl_easy_init();
    struct body b = {NULL, 0};
    char url[300];
    json_t *j = NULL;

    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", e->control_port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    if (curl_easy_perform(c) == CURLE_OK && b.p != NULL)
        j = json_loads(b.p, 0, NULL);
    curl_easy_cleanup(c);
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
