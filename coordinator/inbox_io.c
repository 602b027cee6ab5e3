/* inbox_io.c: the inbox's file system thread (inbox_io.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inbox_io.h"
#include "inbox_req.h"
#include "log.h"

#define SUFFIX ".verdict"
#define MAX_FILES 1024

struct job {
    struct job *next;
    char *name, *text;          /* text NULL: remove */
};

struct agd_inbox_io {
    char *dir;
    int efd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, want_scan, scanning;
    struct job *jobs, **tail;
    struct agd_inbox_scan *done;
};

/* Reads at most max bytes + 1 (to tell "too big"). NULL on error. */
static char *slurp(int dirfd, const char *name, size_t max, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    char *buf = malloc(max + 2);
    size_t n = 0;
    ssize_t r = 0;
    while (buf != NULL && n <= max && (r = read(fd, buf + n, max + 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (buf == NULL || r < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool is_verdict(const char *name)
{
    size_t n = strlen(name), s = strlen(SUFFIX);
    return n > s && strcmp(name + n - s, SUFFIX) == 0;
}

int agd_inbox_file_cmp(const void *a, const void *b)
{
    return strcmp(((const struct agd_inbox_file *)a)->name,
                  ((const struct agd_inbox_file *)b)->name);
}

static void add_file(struct agd_inbox_scan *s, int dfd, const char *name, unsigned char type)
{
    struct agd_inbox_file *f = &s->f[s->n];
    char vname[NAME_MAX + 16];
    struct stat st;
    memset(f, 0, sizeof(*f));
    f->name = strdup(name);
    if (f->name == NULL)
        return;
    f->regular = type == DT_REG ||
                 (type == DT_UNKNOWN && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISREG(st.st_mode));
    if (f->regular) {
        f->text = slurp(dfd, name, AGD_INBOX_REQ_MAX, &f->len);
        if (f->text != NULL && f->len > AGD_INBOX_REQ_MAX) {
            free(f->text);
            f->text = NULL;
        }
    }
    snprintf(vname, sizeof(vname), "%s" SUFFIX, name);
    size_t vl;
    f->verdict = slurp(dfd, vname, AGD_INBOX_VERDICT_MAX, &vl);
    s->n++;
}

/* Verdict files whose request is gone. */
static void find_orphans(struct agd_inbox_scan *s, char **verdicts, size_t nv)
{
    for (size_t i = 0; i < nv; i++) {
        verdicts[i][strlen(verdicts[i]) - strlen(SUFFIX)] = '\0';
        struct agd_inbox_file key = {.name = verdicts[i]};
        if (bsearch(&key, s->f, s->n, sizeof(*s->f), agd_inbox_file_cmp) == NULL)
            s->orphans[s->n_orphans++] = verdicts[i];
        else
            free(verdicts[i]);
    }
}

static struct agd_inbox_scan *scan(const char *dir)
{
    struct agd_inbox_scan *s = calloc(1, sizeof(*s));
    char **verdicts = calloc(MAX_FILES, sizeof(char *));
    if (s == NULL || verdicts == NULL || (s->f = calloc(MAX_FILES, sizeof(*s->f))) == NULL ||
        (s->orphans = calloc(MAX_FILES, sizeof(char *))) == NULL) {
        free(verdicts);
        agd_inbox_scan_free(s);
        return NULL;
    }
    if (mkdir(dir, 01777) == 0)
        chmod(dir, 01777); /* past the umask: any container may write */
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(s->err, sizeof(s->err), "cannot read %s: %s", dir, strerror(errno));
        free(verdicts);
        return s;
    }
    size_t nv = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        if (is_verdict(e->d_name)) {
            if (nv < MAX_FILES && (verdicts[nv] = strdup(e->d_name)) != NULL)
                nv++;
        } else if (s->n < MAX_FILES) {
            add_file(s, dirfd(d), e->d_name, e->d_type);
        }
    }
    closedir(d);
    qsort(s->f, s->n, sizeof(*s->f), agd_inbox_file_cmp);
    find_orphans(s, verdicts, nv);
    free(verdicts);
    s->ok = true;
    return s;
}

static void write_verdict(const char *dir, const struct job *j)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s" SUFFIX, dir, j->name);
    if (j->text == NULL) {
        if (unlink(path) != 0 && errno != ENOENT)
            agd_log(AGD_WARNING, "inbox: cannot remove %s: %s", path, strerror(errno));
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s/.%s" SUFFIX ".tmp", dir, j->name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    size_t n = strlen(j->text);
    bool ok = fd >= 0 && write(fd, j->text, n) == (ssize_t)n;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        agd_log(AGD_WARNING, "inbox: cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
}

static void *io_main(void *arg)
{
    struct agd_inbox_io *io = arg;
    pthread_mutex_lock(&io->lock);
    for (;;) {
        while (!io->stop && !io->want_scan && io->jobs == NULL)
            pthread_cond_wait(&io->cond, &io->lock);
        if (io->stop)
            break;
        struct job *j = io->jobs;
        if (j != NULL) {
            io->jobs = j->next;
            if (io->jobs == NULL)
                io->tail = &io->jobs;
            pthread_mutex_unlock(&io->lock);
            write_verdict(io->dir, j);
            free(j->name);
            free(j->text);
            free(j);
        } else {
            io->want_scan = false;
            pthread_mutex_unlock(&io->lock);
            struct agd_inbox_scan *s = scan(io->dir);
            pthread_mutex_lock(&io->lock);
            agd_inbox_scan_free(io->done);
            io->done = s;
            io->scanning = false;
            uint64_t one = 1;
            if (write(io->efd, &one, sizeof(one)) < 0) {
                /* the counter is saturated: the loop will look anyway */
            }
            continue;
        }
        pthread_mutex_lock(&io->lock);
    }
    pthread_mutex_unlock(&io->lock);
    return NULL;
}

struct agd_inbox_io *agd_inbox_io_new(const char *dir, int *efd)
{
    struct agd_inbox_io *io = calloc(1, sizeof(*io));
    if (io == NULL || (io->dir = strdup(dir)) == NULL) {
        free(io);
        return NULL;
    }
    io->tail = &io->jobs;
    io->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&io->lock, NULL);
    pthread_cond_init(&io->cond, NULL);
    if (io->efd < 0 || pthread_create(&io->thread, NULL, io_main, io) != 0) {
        if (io->efd >= 0)
            close(io->efd);
        free(io->dir);
        free(io);
        return NULL;
    }
    *efd = io->efd;
    return io;
}

/* A thread stuck on a hung mount cannot be joined: it is detached and its
 * state leaked (agorad is exiting). */
void agd_inbox_io_free(struct agd_inbox_io *io)
{
    if (io == NULL)
        return;
    pthread_mutex_lock(&io->lock);
    io->stop = true;
    pthread_cond_signal(&io->cond);
    pthread_mutex_unlock(&io->lock);
    pthread_detach(io->thread);
}

void agd_inbox_io_scan(struct agd_inbox_io *io)
{
    pthread_mutex_lock(&io->lock);
    if (!io->scanning) {
        io->scanning = io->want_scan = true;
        pthread_cond_signal(&io->cond);
    }
    pthread_mutex_unlock(&io->lock);
}

struct agd_inbox_scan *agd_inbox_io_take(struct agd_inbox_io *io)
{
    uint64_t v;
    if (read(io->efd, &v, sizeof(v)) < 0) {
        /* nothing signalled: fine */
    }
    pthread_mutex_lock(&io->lock);
    struct agd_inbox_scan *s = io->done;
    io->done = NULL;
    pthread_mutex_unlock(&io->lock);
    return s;
}

void agd_inbox_scan_free(struct agd_inbox_scan *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; s->f != NULL && i < s->n; i++) {
        free(s->f[i].name);
        free(s->f[i].text);
        free(s->f[i].verdict);
    }
    for (size_t i = 0; s->orphans != NULL && i < s->n_orphans; i++)
        free(s->orphans[i]);
    free(s->f);
    free(s->orphans);
    free(s);
}

void agd_inbox_io_verdict(struct agd_inbox_io *io, const char *name, const char *text)
{
    struct job *j = calloc(1, sizeof(*j));
    if (j == NULL || (j->name = strdup(name)) == NULL ||
        (text != NULL && (j->text = strdup(text)) == NULL)) {
        if (j != NULL)
            free(j->name);
        free(j);
        return;
    }
    pthread_mutex_lock(&io->lock);
    *io->tail = j;
    io->tail = &j->next;
    pthread_cond_signal(&io->cond);
    pthread_mutex_unlock(&io->lock);
}
