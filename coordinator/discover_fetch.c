/* discover_fetch.c: fetching a volume's client volfile with libgfapi in a
 * forked child, under a timeout (discover.h says why). Compiled with
 * libgfapi's flags. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glusterfs/api/glfs.h>

#include "discover.h"

static void *init_thread(void *fs)
{
    glfs_init(fs);
    return NULL;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3);
        p += w;
        n -= (size_t)w;
    }
}

/* The child: never returns. glfs_get_volfile(fs, buf, 0) is -(length) once
 * the volfile arrived (and 0 before); asking for exactly that length avoids
 * gfapi 10.3's over-read (gluster-xlator-notes.md, Q4). */
static void child(int fd, const char *server, const char *volume, const char *logfile)
{
    glfs_t *fs = glfs_new(volume);
    pthread_t t;
    if (fs == NULL || glfs_set_volfile_server(fs, "tcp", server, 24007) != 0 ||
        glfs_set_logging(fs, logfile ? logfile : "/dev/null", 4) != 0 ||
        pthread_create(&t, NULL, init_thread, fs) != 0)
        _exit(2);
    for (;;) {
        ssize_t need = glfs_get_volfile(fs, NULL, 0);
        if (need < 0) {
            char *buf = malloc((size_t)-need);
            if (buf == NULL || glfs_get_volfile(fs, buf, (size_t)-need) != -need)
                _exit(2);
            write_all(fd, buf, (size_t)-need);
            _exit(0); /* no glfs_fini: it takes seconds */
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's output until EOF or the deadline. */
static int collect(int fd, long long deadline, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) == 0)
            break;
        if (n == cap) {
            char *nb = cap < AGD_VOLFILE_MAX ? realloc(buf, 2 * cap + 1) : NULL;
            if (nb == NULL)
                break;
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            buf[n] = '\0';
            *out = buf;
            *len = n;
            return r == 0 ? 0 : -1;
        }
        n += (size_t)r;
    }
    free(buf);
    return -1;
}

static int fetch_one(const char *server, const char *volume, int timeout_ms,
                     const char *logfile, char **out, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child(p[1], server, volume, logfile);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    size_t len = 0;
    int rc = collect(p[0], now_ms() + timeout_ms, out, &len);
    close(p[0]);
    kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (rc != 0 || len == 0) {
        if (rc == 0)
            free(*out);
        *out = NULL;
        snprintf(err, errlen, "%s: no volfile for %s within %d ms (is glusterd running there, "
                 "and does the volume exist?)", server, volume, timeout_ms);
        return -1;
    }
    return 0;
}

int agd_volfile_fetch(char *const *servers, size_t n, const char *volume, int timeout_ms,
                      const char *logfile, char **out, char *err, size_t errlen)
{
    *out = NULL;
    snprintf(err, errlen, "no volfile server given");
    for (size_t i = 0; i < n; i++) {
        if (fetch_one(servers[i], volume, timeout_ms, logfile, out, err, errlen) == 0)
            return 0;
    }
    return -1;
}
