/* cluster_spec.c: the cluster spec's top level ($.name, $.primary, $.networks,
 * $.apps), the checks across apps, and the expansion into task definitions.
 * docs/cluster-spec.md is the reference for every field and rule. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec_int.h"

static const char *const TOP_KEYS[] = {"version", "name", "primary", "networks", "apps", NULL};

struct parse {
    struct agl_chk c;
    struct agl_net *nets;
    size_t n_nets;
    struct agl_app *apps;
    size_t n_apps;
    struct agl_spec *spec;
};

void agl_app_clear(struct agl_app *a)
{
    agl_task_def_clear(&a->tmpl);
    free(a->pool);
    memset(a, 0, sizeof *a);
}

static void parse_top(struct parse *ps, json_t *root)
{
    struct agl_chk *c = &ps->c;
    const char *name = "cluster", *primary = NULL;
    double version = 1;

    if (!json_is_object(root)) {
        agl_problem(c, "$", "must be an object");
        return;
    }
    agl_check_keys(c, root, "$", TOP_KEYS);
    if (agl_get_num(c, root, "$", "version", &version) && version != 1)
        agl_problem(c, "$.version", "must be 1, got %g", version);
    (void)agl_get_str(c, root, "$", "name", &name);
    ps->spec->name = agl_strdup(c, name);
    if (agl_get_str(c, root, "$", "primary", &primary))
        ps->spec->primary = agl_strdup(c, primary);
    if (agl_parse_networks(c, json_object_get(root, "networks"), &ps->nets, &ps->n_nets) < 0)
        c->oom = true;
}

static void parse_apps(struct parse *ps, json_t *apps)
{
    char p[AGL_PATH_MAX];
    size_t i;
    json_t *v;

    if (!json_is_array(apps) || json_array_size(apps) == 0) {
        agl_problem(&ps->c, "$.apps", "required, a non-empty array of apps");
        return;
    }
    ps->apps = calloc(json_array_size(apps), sizeof *ps->apps);
    if (ps->apps == NULL) {
        ps->c.oom = true;
        return;
    }
    json_array_foreach(apps, i, v) {
        agl_path_idx(p, "$.apps", i);
        agl_parse_app(&ps->c, v, p, ps->nets, ps->n_nets, &ps->apps[ps->n_apps++]);
    }
}

/* App ids distinct, primary names an app, pools disjoint. */
static void check_across(struct parse *ps)
{
    char p[AGL_PATH_MAX];
    const char *primary = ps->spec->primary;
    bool found = primary == NULL;

    for (size_t i = 0; i < ps->n_apps; i++) {
        const struct agl_app *a = &ps->apps[i];
        if (a->tmpl.app == NULL || a->tmpl.app[0] == '\0')
            continue;
        found = found || strcmp(primary, a->tmpl.app) == 0;
        for (size_t j = 0; j < i; j++) {
            const struct agl_app *b = &ps->apps[j];
            agl_path_idx(p, "$.apps", i);
            if (b->tmpl.app != NULL && strcmp(a->tmpl.app, b->tmpl.app) == 0)
                agl_problem(&ps->c, p, "id \"%s\" is also $.apps[%zu]'s", a->tmpl.app, j);
            for (size_t x = 0; x < a->n_pool; x++) {
                for (size_t y = 0; y < b->n_pool; y++) {
                    if (memcmp(&a->pool[x], &b->pool[y], sizeof a->pool[x]) != 0)
                        continue;
                    char ip[64];
                    agora_format_ip(&a->pool[x], ip, sizeof ip);
                    agl_path_key(p, p, "network.ipPool");
                    agl_problem(&ps->c, p, "address %s is also in $.apps[%zu]'s pool", ip, j);
                    x = a->n_pool - 1;
                    break;
                }
            }
        }
    }
    if (!found)
        agl_problem(&ps->c, "$.primary", "names no app (\"%s\")", primary);
}

static int expand_one(struct parse *ps, const struct agl_app *a, uint32_t i, struct agl_task_def *d)
{
    char ip[64] = "";

    if (agl_task_def_copy(d, &a->tmpl) != 0)
        return -1;
    d->index = i;
    if (a->pool != NULL && i < a->n_pool)
        agora_format_ip(&a->pool[i], ip, sizeof ip);
    free(d->ip);
    d->ip = strdup(ip);
    d->id = agl_expand("{id}-{index}", a->tmpl.app, i);
    d->hostname = agl_expand(a->hostname_pat, a->tmpl.app, i);
    d->hosts_name = agl_expand(a->hosts_pat != NULL ? a->hosts_pat : "", a->tmpl.app, i);
    d->primary = ps->spec->primary != NULL && strcmp(ps->spec->primary, a->tmpl.app) == 0;
    if (d->network == NULL)
        d->network = strdup("");
    if (d->ip == NULL || d->id == NULL || d->hostname == NULL || d->hosts_name == NULL ||
        d->network == NULL)
        return -1;
    if (d->ip[0] == '\0')
        d->hosts_name[0] = '\0'; /* a hosts line needs an address */
    return 0;
}

/* Every task: hosts names distinct, definition small enough for the log. */
static void check_task(struct parse *ps, size_t k)
{
    const struct agl_task_def *d = &ps->spec->tasks[k];
    char p[AGL_PATH_MAX];
    char *json;

    for (size_t j = 0; j < k && d->hosts_name[0] != '\0'; j++) {
        if (strcasecmp(ps->spec->tasks[j].hosts_name, d->hosts_name) == 0) {
            snprintf(p, sizeof p, "$.apps[?id=%s].hostsName", d->app);
            agl_problem(&ps->c, p, "\"%s\" is also task %s's name", d->hosts_name,
                        ps->spec->tasks[j].id);
            break;
        }
    }
    json = agl_task_def_to_json(d);
    if (json == NULL) {
        ps->c.oom = true;
        return;
    }
    if (strlen(json) > AGORA_SM_SPEC_MAX) {
        snprintf(p, sizeof p, "$.apps[?id=%s]", d->app);
        agl_problem(&ps->c, p, "a task's definition is %zu bytes, more than %u", strlen(json),
                    AGORA_SM_SPEC_MAX);
    }
    free(json);
}

static void expand(struct parse *ps)
{
    size_t total = 0;

    for (size_t i = 0; i < ps->n_apps; i++)
        total += ps->apps[i].instances;
    if (total > AGL_SPEC_MAX_TASKS) {
        agl_problem(&ps->c, "$.apps", "%zu instances in all, more than %u", total,
                    AGL_SPEC_MAX_TASKS);
        return;
    }
    ps->spec->tasks = calloc(total + 1, sizeof *ps->spec->tasks);
    if (ps->spec->tasks == NULL) {
        ps->c.oom = true;
        return;
    }
    for (size_t i = 0; i < ps->n_apps; i++) {
        for (uint32_t k = 0; k < ps->apps[i].instances; k++) {
            if (expand_one(ps, &ps->apps[i], k, &ps->spec->tasks[ps->spec->n_tasks++]) != 0) {
                ps->c.oom = true;
                return;
            }
            check_task(ps, ps->spec->n_tasks - 1);
        }
    }
}

int agl_spec_from_json(const char *file, json_t *root, struct agl_spec **out, agl_problem_fn *fn,
                       void *ctx)
{
    struct parse ps = {.c = {.file = file, .fn = fn, .ctx = ctx}};

    *out = NULL;
    ps.spec = calloc(1, sizeof *ps.spec);
    if (ps.spec == NULL || (ps.spec->file = strdup(file)) == NULL) {
        free(ps.spec);
        return -1;
    }
    parse_top(&ps, root);
    if (json_is_object(root))
        parse_apps(&ps, json_object_get(root, "apps"));
    if (!ps.c.oom)
        check_across(&ps);
    if (ps.c.n == 0 && !ps.c.oom)
        expand(&ps);
    for (size_t i = 0; i < ps.n_apps; i++)
        agl_app_clear(&ps.apps[i]);
    free(ps.apps);
    free(ps.nets);
    if (ps.c.oom || ps.c.n > 0) {
        agl_spec_free(ps.spec);
        return ps.c.oom ? -1 : ps.c.n;
    }
    *out = ps.spec;
    return 0;
}

int agl_spec_parse(const char *file, const char *text, size_t len, struct agl_spec **out,
                   agl_problem_fn *fn, void *ctx)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc;

    *out = NULL;
    if (root == NULL) {
        struct agl_chk c = {.file = file, .fn = fn, .ctx = ctx};
        char where[64];
        snprintf(where, sizeof where, "line %d column %d", jerr.line, jerr.column);
        agl_problem(&c, where, "not JSON: %s", jerr.text);
        return 1;
    }
    rc = agl_spec_from_json(file, root, out, fn, ctx);
    json_decref(root);
    return rc;
}

struct first {
    char *err;
    size_t errlen;
    int n;
};

static void keep_first(void *ctx, const char *line)
{
    struct first *f = ctx;
    if (f->n++ == 0)
        snprintf(f->err, f->errlen, "%s", line);
}

int agl_spec_check_json(const char *file, json_t *spec, char *err, size_t errlen)
{
    struct first f = {err, errlen, 0};
    struct agl_spec *s;
    int rc = agl_spec_from_json(file, spec, &s, keep_first, &f);

    if (rc < 0)
        snprintf(err, errlen, "%s: out of memory", file);
    else if (rc > 1) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (and %d more problems: agoractl spec check %s)", rc - 1,
                 file);
    }
    agl_spec_free(s);
    return rc == 0 ? 0 : -1;
}

int agl_spec_load(const char *path, struct agl_spec **out, agl_problem_fn *fn, void *ctx)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int rc;

    *out = NULL;
    if (f == NULL) {
        struct agl_chk c = {.file = path, .fn = fn, .ctx = ctx};
        agl_problem(&c, "$", "cannot read: %s", strerror(errno));
        return 1;
    }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (nb == NULL || cap > (64u << 20)) {
                free(nb != NULL ? nb : buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    rc = agl_spec_parse(path, buf, n, out, fn, ctx);
    free(buf);
    return rc;
}

void agl_spec_free(struct agl_spec *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_tasks; i++)
        agl_task_def_clear(&s->tasks[i]);
    free(s->tasks);
    free(s->file);
    free(s->name);
    free(s->primary);
    free(s);
}

static void print_line(void *ctx, const char *line)
{
    fprintf((FILE *)ctx, "%s\n", line);
}

int agl_spec_check_file(const char *path, FILE *out, FILE *err)
{
    struct agl_spec *s;
    int rc = agl_spec_load(path, &s, print_line, err);

    if (rc < 0) {
        fprintf(err, "%s: out of memory\n", path);
        return 1;
    }
    if (rc > 0) {
        fprintf(err, "%s: %d problem%s\n", path, rc, rc == 1 ? "" : "s");
        return 1;
    }
    fprintf(out, "%s: valid: %zu task%s\n", path, s->n_tasks, s->n_tasks == 1 ? "" : "s");
    agl_spec_free(s);
    return 0;
}
