/* group_table.c: the named leases' acceptors of one brick and their logs
 * (group_table.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "group_table.h"
#include "wal_file.h"

static void path_of(const struct agora_groups *t, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.wal", t->dir, name);
}

/* Reads fd whole and replays it into g->acc; cuts a torn tail. */
static int replay(struct agora_group *g)
{
    size_t len, valid;
    int why, rc = agora_wal_file_recover(g->fd, &g->acc, &len, &valid, &why);
    if (rc == -EBADMSG)
        return -EIO; /* undecodable record in a valid frame: do not serve */
    if (rc == 0)
        g->wal_size = valid;
    return rc;
}

/* Makes a table entry for name, opening (creating) its file and replaying
 * it. The entry is added even when the file is unusable (ok = false). */
static struct agora_group *add(struct agora_groups *t, const char *name, agora_time_t now,
                               int *err)
{
    char path[4400];
    struct agora_group *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    snprintf(g->name, sizeof(g->name), "%s", name);
    agora_buf_init(&g->pending);
    if (agora_acceptor_init(&g->acc, &t->cfg, 0, now) != AGORA_OK) {
        free(g);
        *err = -EINVAL;
        return NULL;
    }
    g->acc.quiet_until = t->quiet_until; /* the brick's restart rule, not the group's */
    path_of(t, name, path, sizeof(path));
    g->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    *err = g->fd < 0 ? -errno : replay(g);
    g->ok = *err == 0;
    t->g[t->n++] = g;
    return g;
}

int agora_groups_open(struct agora_groups *t, const char *state_dir,
                      const struct agora_acceptor_config *cfg, agora_time_t started,
                      agora_time_t now, char *why, size_t whylen)
{
    memset(t, 0, sizeof(*t));
    t->cfg = *cfg;
    t->quiet_until = started + cfg->lease;
    snprintf(t->dir, sizeof(t->dir), "%s/groups", state_dir);
    if (mkdir(t->dir, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        snprintf(why, whylen, "cannot create %s: %s", t->dir, strerror(e));
        return -e;
    }
    DIR *d = opendir(t->dir);
    if (d == NULL) {
        int e = errno;
        snprintf(why, whylen, "cannot read %s: %s", t->dir, strerror(e));
        return -e;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL && t->n < AGORA_GROUPS_MAX) {
        size_t len = strlen(de->d_name);
        if (len <= 4 || strcmp(de->d_name + len - 4, ".wal") != 0 ||
            !agora_group_name_ok(de->d_name, len - 4))
            continue; /* NAME.wal.new of an interrupted compaction, or foreign */
        char name[AGORA_GROUP_NAME_MAX + 1];
        snprintf(name, sizeof(name), "%.*s", (int)(len - 4), de->d_name);
        int err;
        if (add(t, name, now, &err) == NULL) {
            closedir(d);
            snprintf(why, whylen, "group %s: %s", name, strerror(-err));
            return err;
        }
    }
    closedir(d);
    return 0;
}

struct agora_group *agora_groups_get(struct agora_groups *t, const char *name,
                                     agora_time_t now, int *err)
{
    *err = 0;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->g[i]->name, name) == 0)
            return t->g[i];
    if (!agora_group_name_ok(name, strlen(name))) {
        *err = -EINVAL;
        return NULL;
    }
    if (t->n >= AGORA_GROUPS_MAX) {
        *err = -ENOSPC;
        return NULL;
    }
    struct agora_group *g = add(t, name, now, err);
    if (g != NULL && *err == 0)
        *err = agora_wal_file_sync_dir(t->dir); /* the new file's name is durable */
    if (g != NULL && *err != 0) {
        g->ok = false;
        return NULL;
    }
    return g;
}

/* Rewrites the log as its compacted image (SNAPSHOT of nothing at the
 * commit, the promise, the tail); on failure the old file stays. */
static void compact(struct agora_groups *t, struct agora_group *g)
{
    char path[4400];
    struct agora_buf image;
    agora_buf_init(&image);
    static const uint8_t none[1] = {0};
    if (agora_acceptor_compact(&g->acc, g->acc.commit, none, 0, &image) != AGORA_OK) {
        agora_buf_free(&image);
        return;
    }
    path_of(t, g->name, path, sizeof(path));
    int fd = agora_wal_file_replace(t->dir, path, image.data, image.len);
    if (fd >= 0) {
        close(g->fd);
        g->fd = fd;
        g->wal_size = image.len;
    }
    agora_buf_free(&image);
}

int agora_groups_write(struct agora_group *g)
{
    if (!g->ok || g->pending.len == 0)
        return 0;
    return agora_wal_file_append(g->fd, g->pending.data, g->pending.len);
}

void agora_groups_written(struct agora_groups *t, struct agora_group *g, int rc)
{
    if (rc != 0) {
        g->ok = false;
        return;
    }
    if (!g->ok)
        return;
    g->wal_size += g->pending.len;
    agora_buf_reset(&g->pending);
    if (g->wal_size > AGORA_GROUP_COMPACT_BYTES)
        compact(t, g);
}

void agora_groups_close(struct agora_groups *t)
{
    for (size_t i = 0; i < t->n; i++) {
        struct agora_group *g = t->g[i];
        if (g->fd >= 0)
            close(g->fd);
        agora_acceptor_free(&g->acc);
        agora_buf_free(&g->pending);
        free(g);
    }
    t->n = 0;
}
