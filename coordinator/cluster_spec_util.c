/* cluster_spec_util.c: problem reporting, JSON paths and typed getters for the
 * cluster spec parser. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec_int.h"

void agl_problem(struct agl_chk *c, const char *path, const char *fmt, ...)
{
    char msg[AGL_SPEC_PROBLEM_MAX], line[AGL_SPEC_PROBLEM_MAX + AGL_PATH_MAX + 64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s: %s: %s", c->file, path, msg);
    c->n++;
    if (c->fn != NULL)
        c->fn(c->ctx, line);
}

void agl_path_key(char *out, const char *parent, const char *key)
{
    snprintf(out, AGL_PATH_MAX, "%s.%s", parent, key);
}

void agl_path_idx(char *out, const char *parent, size_t i)
{
    snprintf(out, AGL_PATH_MAX, "%s[%zu]", parent, i);
}

void agl_check_keys(struct agl_chk *c, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    char p[AGL_PATH_MAX];

    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL) {
            agl_path_key(p, path, key);
            agl_problem(c, p, "unknown field");
        }
    }
}

static json_t *get(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

bool agl_get_str(struct agl_chk *c, json_t *obj, const char *path, const char *key,
                 const char **out)
{
    char p[AGL_PATH_MAX];
    json_t *v = get(obj, key);

    if (v == NULL)
        return false;
    if (!json_is_string(v)) {
        agl_path_key(p, path, key);
        agl_problem(c, p, "must be a string");
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool agl_get_num(struct agl_chk *c, json_t *obj, const char *path, const char *key, double *out)
{
    char p[AGL_PATH_MAX];
    json_t *v = get(obj, key);

    if (v == NULL)
        return false;
    if (!json_is_number(v)) {
        agl_path_key(p, path, key);
        agl_problem(c, p, "must be a number");
        return false;
    }
    *out = json_number_value(v);
    return true;
}

bool agl_get_bool(struct agl_chk *c, json_t *obj, const char *path, const char *key, bool *out)
{
    char p[AGL_PATH_MAX];
    json_t *v = get(obj, key);

    if (v == NULL)
        return false;
    if (!json_is_boolean(v)) {
        agl_path_key(p, path, key);
        agl_problem(c, p, "must be true or false");
        return false;
    }
    *out = json_is_true(v);
    return true;
}

char *agl_strdup(struct agl_chk *c, const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        c->oom = true;
    return d;
}
