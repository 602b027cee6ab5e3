/* conf.c: reads and checks agorad.json (config.h, agorad.json(5)).
 *
 * Every check names the field by its JSON path ("bricks[1].path") and says
 * what was expected and what was found. The first error stops the parse:
 * one precise message beats a list the operator must untangle. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "agora/sm.h"
#include "agora/validate.h"
#include "conf.h"
#include "conf_int.h"
#include "log.h"

#define FILE_MAX (1u << 20)

/* --- errors --------------------------------------------------------------- */

int cfg_fail(struct cfg_ctx *x, const char *field, const char *fmt, ...)
{
    char msg[AGD_CONFIG_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (x->errlen > 0)
        snprintf(x->err, x->errlen, "%s: field '%s': %s", x->file, field, msg);
    return -1;
}

/* A short JSON rendering of v for "got ..." (truncated with "..."). */
const char *cfg_show(const json_t *v, char *buf, size_t len)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s == NULL) {
        snprintf(buf, len, "?");
        return buf;
    }
    char esc[256];
    agd_log_escape(s, esc, sizeof(esc));
    free(s);
    if (strlen(esc) > 40)
        snprintf(buf, len, "%.37s...", esc);
    else
        snprintf(buf, len, "%s", esc);
    return buf;
}

void cfg_join(char *out, size_t len, const char *prefix, const char *key)
{
    if (prefix == NULL || *prefix == '\0')
        snprintf(out, len, "%s", key);
    else
        snprintf(out, len, "%s.%s", prefix, key);
}

/* --- typed getters ------------------------------------------------------------ */

int cfg_unknown(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            char f[128], k[64];
            agd_log_escape(key, k, sizeof(k));
            cfg_join(f, sizeof(f), prefix, k);
            return cfg_fail(x, f, "unknown field");
        }
    }
    return 0;
}

int cfg_uint(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *key,
             uint32_t lo, uint32_t hi, uint32_t def, bool required, uint32_t *out)
{
    char f[128], got[64];
    cfg_join(f, sizeof(f), prefix, key);
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            return cfg_fail(x, f, "missing (an integer between %u and %u)", lo, hi);
        *out = def;
        return 0;
    }
    if (!json_is_integer(v))
        return cfg_fail(x, f, "must be an integer between %u and %u, got %s", lo, hi,
                        cfg_show(v, got, sizeof(got)));
    json_int_t n = json_integer_value(v);
    if (n < (json_int_t)lo || n > (json_int_t)hi)
        return cfg_fail(x, f, "must be between %u and %u, got %" JSON_INTEGER_FORMAT, lo, hi, n);
    *out = (uint32_t)n;
    return 0;
}

/* A non-empty string without NUL bytes, at most max bytes; *out is a copy
 * (NULL and no error when absent and not required). */
int cfg_str(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *key, size_t max,
            bool required, char **out)
{
    char f[128], got[64];
    cfg_join(f, sizeof(f), prefix, key);
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL)
        return required ? cfg_fail(x, f, "missing (a string)") : 0;
    if (!json_is_string(v))
        return cfg_fail(x, f, "must be a string, got %s", cfg_show(v, got, sizeof(got)));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return cfg_fail(x, f, "must not be empty");
    if (strlen(s) != n)
        return cfg_fail(x, f, "must not contain a NUL character");
    if (n > max)
        return cfg_fail(x, f, "must be at most %zu bytes, got %zu", max, n);
    *out = strdup(s);
    if (*out == NULL)
        return cfg_fail(x, f, "out of memory");
    return 0;
}

/* A path: relative ones are taken from the config file's folder. */
int cfg_path(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *key,
             bool required, char **out)
{
    char *s;
    if (cfg_str(x, obj, prefix, key, PATH_MAX - 1, required, &s) != 0)
        return -1;
    if (s == NULL)
        return 0;
    *out = s;
    if (s[0] == '/' || strcmp(x->dir, ".") == 0)
        return 0;
    char *full;
    if (asprintf(&full, "%s/%s", x->dir, s) < 0) {
        char f[128];
        cfg_join(f, sizeof(f), prefix, key);
        return cfg_fail(x, f, "out of memory");
    }
    free(s);
    *out = full;
    return 0;
}

/* --- file reading ----------------------------------------------------------- */

/* Reads a whole small file into a NUL-terminated buffer. */
int cfg_read_file(const char *path, size_t max, char **out, size_t *len, char *why, size_t wl)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, wl, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(max + 1);
    size_t n = 0;
    ssize_t r = 0;
    while (buf != NULL && n <= max && (r = read(fd, buf + n, max + 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    int e = errno;
    close(fd);
    if (buf == NULL || r < 0 || n > max) {
        if (buf == NULL)
            snprintf(why, wl, "out of memory");
        else if (r < 0)
            snprintf(why, wl, "cannot read %s: %s", path, strerror(e));
        else
            snprintf(why, wl, "%s is larger than %zu bytes", path, max);
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* --- entry points --------------------------------------------------------------- */

void agd_config_free(struct agd_config *c)
{
    free(c->file);
    free(c->name);
    free(c->hostname);
    free(c->ip);
    free(c->ssh_key_file);
    free(c->ssh_key);
    free(c->volume);
    for (size_t i = 0; i < c->n_servers; i++)
        free(c->servers[i]);
    free(c->servers);
    for (size_t i = 0; i < c->n_bricks; i++) {
        free(c->bricks[i].host);
        free(c->bricks[i].path);
        free(c->bricks[i].username);
        free(c->bricks[i].password);
    }
    free(c->bricks);
    free(c->key_file);
    for (size_t i = 0; c->leader_argv != NULL && c->leader_argv[i] != NULL; i++)
        free(c->leader_argv[i]);
    free(c->leader_argv);
    free(c->cluster_spec);
    cfg_mesos_free(&c->mesos);
    free(c->history_log);
    free(c->inbox_dir);
    free(c->client_socket);
    memset(c, 0, sizeof(*c));
}

int agd_config_parse(const char *file, const char *text, size_t len, struct agd_config *c,
                     char *err, size_t errlen)
{
    struct cfg_ctx x = {.file = file, .err = err, .errlen = errlen};
    memset(c, 0, sizeof(*c));
    const char *slash = strrchr(file, '/');
    if (slash == NULL)
        snprintf(x.dir, sizeof(x.dir), ".");
    else
        snprintf(x.dir, sizeof(x.dir), "%.*s", slash == file ? 1 : (int)(slash - file), file);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        char esc[JSON_ERROR_TEXT_LENGTH * 2];
        agd_log_escape(je.text, esc, sizeof(esc));
        snprintf(err, errlen, "%s: line %d column %d: not valid JSON: %s", file, je.line,
                 je.column, esc);
        return -1;
    }
    int rc = -1;
    c->file = strdup(file);
    if (c->file == NULL)
        snprintf(err, errlen, "%s: out of memory", file);
    else if (!json_is_object(root))
        snprintf(err, errlen, "%s: the top level must be a JSON object", file);
    else
        rc = cfg_root(&x, root, c);
    json_decref(root);
    if (rc != 0)
        agd_config_free(c);
    return rc;
}

int agd_config_load(const char *path, struct agd_config *c, char *err, size_t errlen)
{
    char *text, why[AGD_CONFIG_ERR_MAX];
    size_t len;
    memset(c, 0, sizeof(*c));
    if (cfg_read_file(path, FILE_MAX, &text, &len, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    int rc = agd_config_parse(path, text, len, c, err, errlen);
    free(text);
    return rc;
}

uint32_t agd_config_lease_span_ms(const struct agd_config *c)
{
    return (uint32_t)((uint64_t)c->lease_ms * (1000u - c->drift_permille) / 1000u);
}

size_t agd_config_n_bricks(const struct agd_config *c)
{
    return c->n_bricks;
}
