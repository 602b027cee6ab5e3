/* cluster_taskdef.c: task definitions: copy, free, the relaunch delay, and
 * the JSON that travels in a TASK_DESIRED entry's `spec` field:
 *   {"app":..,"args":[..]|null,"backoff":..,"cmd":..|null,"cpus":..,"env":[..],
 *    "factor":..,"grace":..,"hostname":..,"hosts_name":..,"id":..,"image":..,
 *    "index":N,"ip":..,"max_delay":..,"mem":..,"network":..,"one_per_agent":b,
 *    "params":[[k,v]..],"primary":b,"volumes":[[host,container,"RW"|"RO"]..]} */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster_spec.h"

static char **strv_dup(char *const *v)
{
    size_t n = 0;
    char **out;

    if (v == NULL)
        return NULL;
    while (v[n] != NULL)
        n++;
    out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out != NULL && i < n; i++) {
        if ((out[i] = strdup(v[i])) == NULL) {
            for (size_t j = 0; j < i; j++)
                free(out[j]);
            free(out);
            return NULL;
        }
    }
    return out;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

void agl_task_def_clear(struct agl_task_def *d)
{
    free(d->id);
    free(d->app);
    free(d->hostname);
    free(d->hosts_name);
    free(d->ip);
    free(d->network);
    free(d->image);
    free(d->cmd);
    strv_free(d->args);
    strv_free(d->env);
    for (size_t i = 0; i < d->n_volumes; i++) {
        free(d->volumes[i].host_path);
        free(d->volumes[i].container_path);
    }
    free(d->volumes);
    for (size_t i = 0; i < d->n_params; i++) {
        free(d->params[i].key);
        free(d->params[i].value);
    }
    free(d->params);
    memset(d, 0, sizeof *d);
}

static int dup_ok(char **dst, const char *src)
{
    *dst = src != NULL ? strdup(src) : NULL;
    return src == NULL || *dst != NULL;
}

int agl_task_def_copy(struct agl_task_def *dst, const struct agl_task_def *s)
{
    bool ok = true;

    *dst = *s;
    dst->volumes = NULL;
    dst->params = NULL;
    ok &= dup_ok(&dst->id, s->id) & dup_ok(&dst->app, s->app) &
          dup_ok(&dst->hostname, s->hostname) & dup_ok(&dst->hosts_name, s->hosts_name) &
          dup_ok(&dst->ip, s->ip) & dup_ok(&dst->network, s->network) &
          dup_ok(&dst->image, s->image) & dup_ok(&dst->cmd, s->cmd);
    dst->args = strv_dup(s->args);
    dst->env = strv_dup(s->env);
    ok &= (s->args == NULL || dst->args != NULL) && (s->env == NULL || dst->env != NULL);
    dst->n_volumes = dst->n_params = 0;
    dst->volumes = calloc(s->n_volumes + 1, sizeof *dst->volumes);
    dst->params = calloc(s->n_params + 1, sizeof *dst->params);
    ok &= dst->volumes != NULL && dst->params != NULL;
    for (size_t i = 0; ok && i < s->n_volumes; i++, dst->n_volumes++) {
        dst->volumes[i].read_only = s->volumes[i].read_only;
        ok &= dup_ok(&dst->volumes[i].host_path, s->volumes[i].host_path) &
              dup_ok(&dst->volumes[i].container_path, s->volumes[i].container_path);
    }
    for (size_t i = 0; ok && i < s->n_params; i++, dst->n_params++)
        ok &= dup_ok(&dst->params[i].key, s->params[i].key) &
              dup_ok(&dst->params[i].value, s->params[i].value);
    if (!ok)
        agl_task_def_clear(dst);
    return ok ? 0 : -1;
}

double agl_task_def_delay(const struct agl_task_def *d, unsigned failures)
{
    double delay = d->backoff_s;

    for (unsigned i = 1; i < failures && delay < d->max_delay_s; i++)
        delay *= d->backoff_factor;
    return fmin(delay, d->max_delay_s);
}

static json_t *strv_json(char *const *v)
{
    json_t *a;

    if (v == NULL)
        return json_null();
    a = json_array();
    for (size_t i = 0; a != NULL && v[i] != NULL; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *pairs_json(const struct agl_task_def *d, bool volumes)
{
    json_t *a = json_array();
    size_t n = volumes ? d->n_volumes : d->n_params;

    for (size_t i = 0; a != NULL && i < n; i++) {
        if (volumes)
            json_array_append_new(a, json_pack("[sss]", d->volumes[i].host_path,
                                               d->volumes[i].container_path,
                                               d->volumes[i].read_only ? "RO" : "RW"));
        else
            json_array_append_new(a, json_pack("[ss]", d->params[i].key, d->params[i].value));
    }
    return a;
}

char *agl_task_def_to_json(const struct agl_task_def *d)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:b, s:b, s:f, s:f, s:f, s:f}",
        "id", d->id ? d->id : "", "app", d->app ? d->app : "", "hostname",
        d->hostname ? d->hostname : "", "hosts_name", d->hosts_name ? d->hosts_name : "", "ip",
        d->ip ? d->ip : "", "network", d->network ? d->network : "", "image",
        d->image ? d->image : "", "index", (json_int_t)d->index, "cpus", d->cpus, "mem", d->mem,
        "one_per_agent", d->one_per_agent, "primary", d->primary, "backoff", d->backoff_s,
        "factor", d->backoff_factor, "max_delay", d->max_delay_s, "grace", d->grace_s);
    char *s = NULL;

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "cmd", d->cmd ? json_string(d->cmd) : json_null());
    json_object_set_new(o, "args", strv_json(d->args));
    json_object_set_new(o, "env", strv_json(d->env));
    json_object_set_new(o, "volumes", pairs_json(d, true));
    json_object_set_new(o, "params", pairs_json(d, false));
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static char **strv_from(json_t *a, bool *ok)
{
    size_t i;
    json_t *v;
    char **out;

    if (json_is_null(a) || a == NULL)
        return NULL;
    out = calloc(json_array_size(a) + 1, sizeof *out);
    if (out == NULL || !json_is_array(a)) {
        *ok = false;
        return out;
    }
    json_array_foreach(a, i, v) {
        if (!json_is_string(v) || (out[i] = strdup(json_string_value(v))) == NULL)
            *ok = false;
    }
    return out;
}

static bool pairs_from(json_t *o, struct agl_task_def *d)
{
    json_t *vols = json_object_get(o, "volumes"), *ps = json_object_get(o, "params"), *v;
    size_t i;

    d->volumes = calloc(json_array_size(vols) + 1, sizeof *d->volumes);
    d->params = calloc(json_array_size(ps) + 1, sizeof *d->params);
    if (d->volumes == NULL || d->params == NULL)
        return false;
    json_array_foreach(vols, i, v) {
        const char *h, *c, *m;
        if (json_unpack(v, "[sss]", &h, &c, &m) != 0)
            return false;
        d->volumes[i].host_path = strdup(h);
        d->volumes[i].container_path = strdup(c);
        d->volumes[i].read_only = strcmp(m, "RO") == 0;
        d->n_volumes++;
    }
    json_array_foreach(ps, i, v) {
        const char *k, *val;
        if (json_unpack(v, "[ss]", &k, &val) != 0)
            return false;
        d->params[i].key = strdup(k);
        d->params[i].value = strdup(val);
        d->n_params++;
    }
    return true;
}

int agl_task_def_from_json(const char *json, struct agl_task_def *d, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *o = json_loads(json, 0, &jerr);
    const char *id, *app, *hn, *hosts, *ip, *net, *image, *cmd = NULL;
    json_int_t index;
    int b1, b2;
    bool ok = true;

    memset(d, 0, sizeof *d);
    if (o == NULL || json_unpack_ex(o, &jerr, 0,
                                    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:F, s:F, s:b, s:b,"
                                    " s:F, s:F, s:F, s:F}",
                                    "id", &id, "app", &app, "hostname", &hn, "hosts_name", &hosts,
                                    "ip", &ip, "network", &net, "image", &image, "index", &index,
                                    "cpus", &d->cpus, "mem", &d->mem, "one_per_agent", &b1,
                                    "primary", &b2, "backoff", &d->backoff_s, "factor",
                                    &d->backoff_factor, "max_delay", &d->max_delay_s, "grace",
                                    &d->grace_s) != 0) {
        snprintf(why, whylen, "task definition: %s", jerr.text);
        json_decref(o);
        return -1;
    }
    cmd = json_string_value(json_object_get(o, "cmd")); /* NULL when null */
    d->index = (uint32_t)index;
    d->one_per_agent = b1;
    d->primary = b2;
    ok = dup_ok(&d->id, id) & dup_ok(&d->app, app) & dup_ok(&d->hostname, hn) &
         dup_ok(&d->hosts_name, hosts) & dup_ok(&d->ip, ip) & dup_ok(&d->network, net) &
         dup_ok(&d->image, image) & dup_ok(&d->cmd, cmd);
    d->args = strv_from(json_object_get(o, "args"), &ok);
    d->env = strv_from(json_object_get(o, "env"), &ok);
    ok = ok && pairs_from(o, d);
    json_decref(o);
    if (!ok) {
        snprintf(why, whylen, "task definition: malformed lists (or out of memory)");
        agl_task_def_clear(d);
        return -1;
    }
    return 0;
}
