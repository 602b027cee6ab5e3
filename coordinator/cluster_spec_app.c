/* cluster_spec_app.c: one app of the cluster spec ($.apps[i]), in the shape of a
 * Marathon app definition (docs/cluster-spec.md lists every field). */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec_int.h"

static const char *const APP_KEYS[] = {
    "id", "instances", "cpus", "mem", "cmd", "args", "env", "hostname", "hostsName",
    "container", "network", "constraints", "backoffSeconds", "backoffFactor",
    "maxLaunchDelaySeconds", "taskKillGracePeriodSeconds", NULL};
static const char *const CONTAINER_KEYS[] = {"type", "docker", "volumes", NULL};
static const char *const DOCKER_KEYS[] = {"image", "parameters", "forcePullImage", NULL};
static const char *const VOLUME_KEYS[] = {"hostPath", "containerPath", "mode", NULL};
static const char *const PARAM_KEYS[] = {"key", "value", NULL};
static const char *const NETWORK_KEYS[] = {"name", "ipPool", NULL};

/* Docker parameters the launcher sets itself (or Mesos refuses). */
static const char *const RESERVED_PARAMS[] = {"name", "ip", "hostname", "net", "network",
                                              "volume", "v", NULL};

static bool valid_app_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 48 || !islower((unsigned char)s[0]) || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

/* A number in [lo, hi] (lo exclusive when lo_open). */
void agl_get_range(struct agl_chk *c, json_t *o, const char *path, const char *key,
                      double *out, double lo, bool lo_open, double hi)
{
    char p[AGL_PATH_MAX];
    double v;

    if (!agl_get_num(c, o, path, key, &v))
        return;
    agl_path_key(p, path, key);
    if (!isfinite(v) || (lo_open ? v <= lo : v < lo) || v > hi)
        agl_problem(c, p, "must be %s %g and <= %g, got %g", lo_open ? ">" : ">=", lo, hi, v);
    else
        *out = v;
}

static void parse_instances(struct agl_chk *c, json_t *o, const char *path, struct agl_app *a)
{
    char p[AGL_PATH_MAX];
    json_t *v = json_object_get(o, "instances");

    a->instances = 1;
    if (v == NULL)
        return;
    agl_path_key(p, path, "instances");
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > AGL_SPEC_MAX_INSTANCES)
        agl_problem(c, p, "must be an integer 0..%u", AGL_SPEC_MAX_INSTANCES);
    else
        a->instances = (uint32_t)json_integer_value(v);
}

char **agl_str_array(struct agl_chk *c, json_t *arr, const char *path)
{
    char p[AGL_PATH_MAX];
    size_t i;
    json_t *v;
    char **out;

    if (!json_is_array(arr)) {
        agl_problem(c, path, "must be an array of strings");
        return NULL;
    }
    out = calloc(json_array_size(arr) + 1, sizeof *out);
    if (out == NULL) {
        c->oom = true;
        return NULL;
    }
    json_array_foreach(arr, i, v) {
        agl_path_idx(p, path, i);
        if (!json_is_string(v))
            agl_problem(c, p, "must be a string");
        out[i] = agl_strdup(c, json_is_string(v) ? json_string_value(v) : "");
    }
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool valid_env_name(const char *s)
{
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return false;
    for (; *s != '\0'; s++) {
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    }
    return true;
}

void agl_parse_env(struct agl_chk *c, json_t *env, const char *path, struct agl_task_def *t)
{
    const char *k;
    json_t *v;
    char p[AGL_PATH_MAX];
    size_t n = 0;

    if (!json_is_object(env)) {
        agl_problem(c, path, "must be an object of strings");
        return;
    }
    t->env = calloc(json_object_size(env) + 1, sizeof *t->env);
    if (t->env == NULL) {
        c->oom = true;
        return;
    }
    json_object_foreach(env, k, v) {
        agl_path_key(p, path, k);
        if (!valid_env_name(k))
            agl_problem(c, p, "not a valid variable name");
        else if (!json_is_string(v))
            agl_problem(c, p, "must be a string");
        else if (asprintf(&t->env[n++], "%s=%s", k, json_string_value(v)) < 0)
            c->oom = true;
    }
    qsort(t->env, n, sizeof *t->env, cmp_str);
}

static void parse_volume(struct agl_chk *c, json_t *v, const char *path, struct agl_volume *vol)
{
    const char *hp = NULL, *cp = NULL, *mode = NULL;
    char p[AGL_PATH_MAX];

    if (!json_is_object(v)) {
        agl_problem(c, path, "must be an object {hostPath, containerPath, mode}");
        return;
    }
    agl_check_keys(c, v, path, VOLUME_KEYS);
    agl_path_key(p, path, "hostPath");
    if (!agl_get_str(c, v, path, "hostPath", &hp) || hp[0] != '/')
        agl_problem(c, p, "required, an absolute path");
    agl_path_key(p, path, "containerPath");
    if (!agl_get_str(c, v, path, "containerPath", &cp) || cp[0] != '/' || strcmp(cp, "/") == 0)
        agl_problem(c, p, "required, an absolute path other than /");
    agl_path_key(p, path, "mode");
    if (!agl_get_str(c, v, path, "mode", &mode) ||
        (strcmp(mode, "RW") != 0 && strcmp(mode, "RO") != 0))
        agl_problem(c, p, "required, \"RW\" or \"RO\"");
    vol->host_path = agl_strdup(c, hp);
    vol->container_path = agl_strdup(c, cp);
    vol->read_only = mode != NULL && strcmp(mode, "RO") == 0;
}

static void parse_volumes(struct agl_chk *c, json_t *vols, const char *path,
                          struct agl_task_def *t)
{
    char p[AGL_PATH_MAX];
    size_t i;
    json_t *v;

    if (!json_is_array(vols)) {
        agl_problem(c, path, "must be an array");
        return;
    }
    t->volumes = calloc(json_array_size(vols) + 1, sizeof *t->volumes);
    if (t->volumes == NULL) {
        c->oom = true;
        return;
    }
    json_array_foreach(vols, i, v) {
        agl_path_idx(p, path, i);
        parse_volume(c, v, p, &t->volumes[t->n_volumes++]);
        for (size_t j = 0; j < i; j++) {
            const char *a = t->volumes[j].container_path, *b = t->volumes[i].container_path;
            if (a != NULL && b != NULL && b[0] != '\0' && strcmp(a, b) == 0)
                agl_problem(c, p, "containerPath %s is mounted twice", b);
        }
    }
}

static bool reserved_param(const char *k)
{
    for (size_t i = 0; RESERVED_PARAMS[i] != NULL; i++) {
        if (strcmp(RESERVED_PARAMS[i], k) == 0)
            return true;
    }
    return false;
}

static void parse_params(struct agl_chk *c, json_t *ps, const char *path, struct agl_task_def *t)
{
    char p[AGL_PATH_MAX];
    size_t i;
    json_t *v;

    if (!json_is_array(ps)) {
        agl_problem(c, path, "must be an array of {key, value}");
        return;
    }
    t->params = calloc(json_array_size(ps) + 1, sizeof *t->params);
    if (t->params == NULL) {
        c->oom = true;
        return;
    }
    json_array_foreach(ps, i, v) {
        const char *k = NULL, *val = NULL;
        agl_path_idx(p, path, i);
        if (!json_is_object(v)) {
            agl_problem(c, p, "must be an object {key, value}");
            continue;
        }
        agl_check_keys(c, v, p, PARAM_KEYS);
        if (!agl_get_str(c, v, p, "key", &k) || k[0] == '\0')
            agl_problem(c, p, "key: required, a non-empty string");
        else if (reserved_param(k))
            agl_problem(c, p, "key \"%s\" is set by the launcher (or refused by Mesos)", k);
        (void)agl_get_str(c, v, p, "value", &val);
        t->params[t->n_params].key = agl_strdup(c, k);
        t->params[t->n_params++].value = agl_strdup(c, val);
    }
}

static void parse_container(struct agl_chk *c, json_t *ct, const char *path,
                            struct agl_task_def *t)
{
    char p[AGL_PATH_MAX], dp[AGL_PATH_MAX];
    const char *type = NULL, *image = NULL;
    json_t *docker;

    if (!json_is_object(ct)) {
        agl_problem(c, path, "required, an object {type, docker, volumes}");
        return;
    }
    agl_check_keys(c, ct, path, CONTAINER_KEYS);
    agl_path_key(p, path, "type");
    if (agl_get_str(c, ct, path, "type", &type) && strcmp(type, "DOCKER") != 0)
        agl_problem(c, p, "must be \"DOCKER\", got \"%s\"", type);
    agl_path_key(dp, path, "docker");
    docker = json_object_get(ct, "docker");
    if (!json_is_object(docker)) {
        agl_problem(c, dp, "required, an object {image, parameters, forcePullImage}");
    } else {
        agl_check_keys(c, docker, dp, DOCKER_KEYS);
        agl_path_key(p, dp, "image");
        if (!agl_get_str(c, docker, dp, "image", &image) || image[0] == '\0' ||
            strlen(image) > AGORA_SM_IMAGE_MAX || strpbrk(image, " \t\n") != NULL)
            agl_problem(c, p, "required, 1..%u characters without blanks", AGORA_SM_IMAGE_MAX);
        if (json_object_get(docker, "parameters") != NULL) {
            agl_path_key(p, dp, "parameters");
            parse_params(c, json_object_get(docker, "parameters"), p, t);
        }
    }
    t->image = agl_strdup(c, image);
    if (json_object_get(ct, "volumes") != NULL) {
        agl_path_key(p, path, "volumes");
        parse_volumes(c, json_object_get(ct, "volumes"), p, t);
    }
}

static void parse_network(struct agl_chk *c, json_t *nw, const char *path,
                          const struct agl_net *nets, size_t n_nets, struct agl_app *a)
{
    char p[AGL_PATH_MAX];
    const char *name = NULL;
    const struct agl_net *net = NULL;

    if (!json_is_object(nw)) {
        agl_problem(c, path, "must be an object {name, ipPool}");
        return;
    }
    agl_check_keys(c, nw, path, NETWORK_KEYS);
    agl_path_key(p, path, "name");
    if (!agl_get_str(c, nw, path, "name", &name))
        agl_problem(c, p, "required");
    else if ((net = agl_net_find(nets, n_nets, name)) == NULL)
        agl_problem(c, p, "network \"%s\" is not defined in $.networks", name);
    a->tmpl.network = agl_strdup(c, name);
    agl_path_key(p, path, "ipPool");
    if (json_object_get(nw, "ipPool") == NULL)
        agl_problem(c, p, "required: the static addresses of the instances");
    else
        agl_parse_pool(c, json_object_get(nw, "ipPool"), p, net, a);
    if (a->pool != NULL && a->n_pool < a->instances)
        agl_problem(c, p, "holds %zu addresses for %u instances", a->n_pool, a->instances);
}

static void parse_constraints(struct agl_chk *c, json_t *cs, const char *path,
                              struct agl_task_def *t)
{
    char p[AGL_PATH_MAX];
    size_t i;
    json_t *v;

    if (!json_is_array(cs)) {
        agl_problem(c, path, "must be an array of [field, operator] arrays");
        return;
    }
    json_array_foreach(cs, i, v) {
        agl_path_idx(p, path, i);
        const char *f = json_string_value(json_array_get(v, 0));
        const char *op = json_string_value(json_array_get(v, 1));
        if (json_array_size(v) == 2 && f != NULL && op != NULL && strcmp(f, "hostname") == 0 &&
            strcmp(op, "UNIQUE") == 0)
            t->one_per_agent = true;
        else
            agl_problem(c, p, "unsupported constraint (only [\"hostname\", \"UNIQUE\"])");
    }
}

void agl_parse_app(struct agl_chk *c, json_t *app, const char *path, const struct agl_net *nets,
                   size_t n_nets, struct agl_app *a)
{
    char p[AGL_PATH_MAX];
    struct agl_task_def *t = &a->tmpl;
    const char *id = NULL;

    if (!json_is_object(app)) {
        agl_problem(c, path, "must be an object");
        return;
    }
    agl_check_keys(c, app, path, APP_KEYS);
    agl_path_key(p, path, "id");
    if (!agl_get_str(c, app, path, "id", &id) || !valid_app_id(id))
        agl_problem(c, p, "required, 1..48 of a-z 0-9 -, first a letter, last not -");
    t->app = agl_strdup(c, id);
    parse_instances(c, app, path, a);
    t->cpus = 1.0;
    t->mem = 128.0;
    agl_get_range(c, app, path, "cpus", &t->cpus, 0, true, AGORA_SM_CPUS_MILLI_MAX / 1000.0);
    agl_get_range(c, app, path, "mem", &t->mem, 0, true, AGORA_SM_MEM_MB_MAX);
    agl_parse_command(c, app, path, t);
    agl_parse_policy(c, app, path, t);
    agl_parse_names(c, app, path, a);
    agl_path_key(p, path, "container");
    parse_container(c, json_object_get(app, "container"), p, t);
    if (json_object_get(app, "network") != NULL) {
        agl_path_key(p, path, "network");
        parse_network(c, json_object_get(app, "network"), p, nets, n_nets, a);
    }
    if (json_object_get(app, "constraints") != NULL) {
        agl_path_key(p, path, "constraints");
        parse_constraints(c, json_object_get(app, "constraints"), p, t);
    }
}
