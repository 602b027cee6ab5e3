/* conf_volume.c: where the acceptors are. Either
 *   "volume": {"name": "agora", "servers": ["h1", "h2"]}
 * (the brick list is read from the volfile server at start), or
 *   "bricks": [{"host": "h1", "path": "/bricks/b1"}, ...]
 * (explicit, for setups without glusterd). One of the two, not both. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define VOLUME_NAME_MAX 64

static const char *const volume_fields[] = {"name", "servers", NULL};
static const char *const brick_fields[] = {"host", "path", NULL};

static bool volname_ok(const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        char ch = *p;
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9');
        if (!alnum && (p == s || strchr("-_.", ch) == NULL))
            return false;
    }
    return true;
}

static int check_servers(struct cfg_ctx *x, json_t *vol, struct agd_config *c)
{
    char f[64], got[64];
    json_t *arr = json_object_get(vol, "servers");
    if (arr == NULL)
        return cfg_fail(x, "volume.servers", "missing (an array of host names or IPs)");
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > AGD_MAX_SERVERS)
        return cfg_fail(x, "volume.servers", "must be an array of 1 to %d host names or IPs, "
                        "got %s", AGD_MAX_SERVERS, cfg_show(arr, got, sizeof(got)));
    c->servers = calloc(json_array_size(arr), sizeof(*c->servers));
    if (c->servers == NULL)
        return cfg_fail(x, "volume.servers", "out of memory");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        snprintf(f, sizeof(f), "volume.servers[%zu]", i);
        if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)))
            return cfg_fail(x, f, "must be a string, got %s", cfg_show(v, got, sizeof(got)));
        if (cfg_host(x, f, json_string_value(v), &c->servers[i]) != 0)
            return -1;
        c->n_servers = i + 1;
    }
    return 0;
}

static int check_volume(struct cfg_ctx *x, json_t *vol, struct agd_config *c)
{
    char got[64];
    if (!json_is_object(vol))
        return cfg_fail(x, "volume", "must be an object with \"name\" and \"servers\", got %s",
                        cfg_show(vol, got, sizeof(got)));
    if (cfg_unknown(x, vol, "volume", volume_fields) != 0 ||
        cfg_str(x, vol, "volume", "name", VOLUME_NAME_MAX, true, &c->volume) != 0)
        return -1;
    if (!volname_ok(c->volume))
        return cfg_fail(x, "volume.name", "must be letters, digits, '-', '_' or '.', "
                        "starting with a letter or digit");
    return check_servers(x, vol, c);
}

static int check_brick_path(struct cfg_ctx *x, const char *f, const char *p)
{
    if (p[0] != '/')
        return cfg_fail(x, f, "must be an absolute path");
    for (const char *s = p; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return cfg_fail(x, f, "must not contain control characters");
    }
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2) {
        if (s[-1] == '/' && (s[2] == '\0' || s[2] == '/'))
            return cfg_fail(x, f, "must not contain a '..' component");
    }
    return 0;
}

static int check_brick(struct cfg_ctx *x, json_t *b, size_t i, struct agd_config *c)
{
    char pre[32], f[64], got[64];
    char *host = NULL;
    snprintf(pre, sizeof(pre), "bricks[%zu]", i);
    if (!json_is_object(b))
        return cfg_fail(x, pre, "must be an object with \"host\" and \"path\", got %s",
                        cfg_show(b, got, sizeof(got)));
    struct agd_brick *br = &c->bricks[i];
    if (cfg_unknown(x, b, pre, brick_fields) != 0 ||
        cfg_str(x, b, pre, "host", 253, true, &host) != 0)
        return -1;
    snprintf(f, sizeof(f), "%s.host", pre);
    int rc = cfg_host(x, f, host, &br->host);
    free(host);
    c->n_bricks = i + 1;
    if (rc != 0 || cfg_str(x, b, pre, "path", 4095, true, &br->path) != 0)
        return -1;
    snprintf(f, sizeof(f), "%s.path", pre);
    if (check_brick_path(x, f, br->path) != 0)
        return -1;
    for (size_t j = 0; j < i; j++) {
        if (strcmp(c->bricks[j].host, br->host) == 0 && strcmp(c->bricks[j].path, br->path) == 0)
            return cfg_fail(x, pre, "the same brick as bricks[%zu]", j);
    }
    return 0;
}

static int check_bricks(struct cfg_ctx *x, json_t *arr, struct agd_config *c)
{
    char got[64];
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > AGD_MAX_BRICKS)
        return cfg_fail(x, "bricks", "must be an array of 1 to %d bricks, got %s",
                        AGD_MAX_BRICKS, cfg_show(arr, got, sizeof(got)));
    c->bricks = calloc(json_array_size(arr), sizeof(*c->bricks));
    if (c->bricks == NULL)
        return cfg_fail(x, "bricks", "out of memory");
    size_t i;
    json_t *b;
    json_array_foreach(arr, i, b) {
        if (check_brick(x, b, i, c) != 0)
            return -1;
    }
    return 0;
}

int cfg_volume(struct cfg_ctx *x, json_t *root, struct agd_config *c)
{
    json_t *vol = json_object_get(root, "volume");
    json_t *bricks = json_object_get(root, "bricks");
    if (vol != NULL && bricks != NULL)
        return cfg_fail(x, "bricks", "give either 'volume' or 'bricks', not both");
    if (vol == NULL && bricks == NULL)
        return cfg_fail(x, "volume", "missing (or give 'bricks')");
    return vol != NULL ? check_volume(x, vol, c) : check_bricks(x, bricks, c);
}
