/* cluster_spec_cmd.c: an app's command (cmd or args, env), its relaunch policy and
 * its host name patterns. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec_int.h"

void agl_parse_command(struct agl_chk *c, json_t *app, const char *path, struct agl_task_def *t)
{
    char p[AGL_PATH_MAX];
    const char *cmd = NULL;

    if (agl_get_str(c, app, path, "cmd", &cmd))
        t->cmd = agl_strdup(c, cmd);
    if (json_object_get(app, "args") != NULL && !json_is_null(json_object_get(app, "args"))) {
        agl_path_key(p, path, "args");
        if (cmd != NULL)
            agl_problem(c, p, "give cmd or args, not both");
        t->args = agl_str_array(c, json_object_get(app, "args"), p);
    }
    if (json_object_get(app, "env") != NULL) {
        agl_path_key(p, path, "env");
        agl_parse_env(c, json_object_get(app, "env"), p, t);
    }
}

void agl_parse_policy(struct agl_chk *c, json_t *app, const char *path, struct agl_task_def *t)
{
    char p[AGL_PATH_MAX];

    t->backoff_s = 1.0;
    t->backoff_factor = 1.15;
    t->max_delay_s = 300.0;
    t->grace_s = 5.0;
    agl_get_range(c, app, path, "backoffSeconds", &t->backoff_s, 0, false, 3600);
    agl_get_range(c, app, path, "backoffFactor", &t->backoff_factor, 1, false, 100);
    agl_get_range(c, app, path, "maxLaunchDelaySeconds", &t->max_delay_s, 0, false, 86400);
    agl_get_range(c, app, path, "taskKillGracePeriodSeconds", &t->grace_s, 0, false, 600);
    if (t->max_delay_s < t->backoff_s) {
        agl_path_key(p, path, "maxLaunchDelaySeconds");
        agl_problem(c, p, "must be >= backoffSeconds (%g), got %g", t->backoff_s, t->max_delay_s);
    }
}

char *agl_expand(const char *pat, const char *app_id, uint32_t i)
{
    size_t cap = strlen(pat) + strlen(app_id) * 4 + 64, n = 0;
    char *out = malloc(cap);

    if (out == NULL)
        return NULL;
    while (*pat != '\0' && n + 1 < cap) {
        if (strncmp(pat, "{index}", 7) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%u", i);
            pat += 7;
        } else if (strncmp(pat, "{id}", 4) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%s", app_id);
            pat += 4;
        } else {
            out[n++] = *pat++;
        }
        if (n >= cap)
            n = cap - 1;
    }
    out[n] = '\0';
    return out;
}

/* Checks that pattern pat gives a valid host name for every instance. */
static void check_pattern(struct agl_chk *c, const char *pat, const char *path, const char *id,
                          uint32_t instances)
{
    char why[160];

    for (uint32_t i = 0; i < (instances > 0 ? instances : 1); i++) {
        char *h = agl_expand(pat, id != NULL ? id : "x", i);
        if (h == NULL) {
            c->oom = true;
            return;
        }
        int bad = strlen(h) > 64 ? (snprintf(why, sizeof why, "longer than 64 characters"), 1)
                                 : agora_valid_hostname(h, strlen(h), why, sizeof why) != 0;
        if (bad)
            agl_problem(c, path, "\"%s\" (instance %u) is not a valid host name: %s", h, i, why);
        free(h);
        if (bad)
            return;
    }
}

void agl_parse_names(struct agl_chk *c, json_t *app, const char *path, struct agl_app *a)
{
    char p[AGL_PATH_MAX];
    const char *id = a->tmpl.app;

    a->hostname_pat = "{id}-{index}";
    (void)agl_get_str(c, app, path, "hostname", &a->hostname_pat);
    agl_path_key(p, path, "hostname");
    check_pattern(c, a->hostname_pat, p, id, a->instances);
    agl_path_key(p, path, "hostsName");
    if (agl_get_str(c, app, path, "hostsName", &a->hosts_pat)) {
        if (a->hosts_pat[0] == '\0')
            return;
        check_pattern(c, a->hosts_pat, p, id, a->instances);
        if (a->instances > 1 && strstr(a->hosts_pat, "{index}") == NULL)
            agl_problem(c, p, "must contain {index}: every instance needs its own name");
        return;
    }
    a->hosts_pat = a->hostname_pat;
    if (a->instances > 1 && strstr(a->hostname_pat, "{index}") == NULL)
        agl_problem(c, p, "required when hostname (\"%s\") is the same for all %u instances: "
                    "give the name for /.agora/hosts, e.g. \"%s-{index}\"",
                    a->hostname_pat, a->instances, id != NULL ? id : "app");
}
