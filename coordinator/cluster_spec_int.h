/* cluster_spec_int.h: what the spec parser's files share (private to cluster_spec*.c). */
#ifndef AGL_CLUSTER_SPEC_INT_H
#define AGL_CLUSTER_SPEC_INT_H

#include <jansson.h>

#include "cluster_spec.h"

#define AGL_PATH_MAX 256

/* One parse: where problems go and how many there were. */
struct agl_chk {
    const char *file;
    agl_problem_fn *fn;
    void *ctx;
    int n;
    bool oom;
};

/* A network from $.networks: name and optional subnet. */
struct agl_net {
    const char *name;
    bool has_subnet;
    struct agora_ip base;
    unsigned prefix;
};

/* One parsed app before expansion into tasks. */
struct agl_app {
    struct agl_task_def tmpl;      /* shared fields; id/index/ip/names unset */
    const char *hostname_pat;
    const char *hosts_pat;
    uint32_t instances;
    struct agora_ip *pool;         /* the IP pool, expanded */
    size_t n_pool;
};

void agl_problem(struct agl_chk *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "parent.key" / "parent[i]" into out[AGL_PATH_MAX]. */
void agl_path_key(char *out, const char *parent, const char *key);
void agl_path_idx(char *out, const char *parent, size_t i);

/* Reports every key of obj not in allowed (NULL-terminated). */
void agl_check_keys(struct agl_chk *c, json_t *obj, const char *path, const char *const *allowed);
/* Typed getters: absent -> false, no problem; wrong type -> problem. */
bool agl_get_str(struct agl_chk *c, json_t *obj, const char *path, const char *key,
                 const char **out);
bool agl_get_num(struct agl_chk *c, json_t *obj, const char *path, const char *key, double *out);
bool agl_get_bool(struct agl_chk *c, json_t *obj, const char *path, const char *key, bool *out);
char *agl_strdup(struct agl_chk *c, const char *s);

/* cluster_spec_net.c */
int agl_parse_networks(struct agl_chk *c, json_t *nets, struct agl_net **out, size_t *n);
const struct agl_net *agl_net_find(const struct agl_net *v, size_t n, const char *name);
/* Parses the app's $.apps[i].network.ipPool into app->pool. */
void agl_parse_pool(struct agl_chk *c, json_t *pool, const char *path, const struct agl_net *net,
                    struct agl_app *app);

/* cluster_spec_cmd.c: cmd/args/env, relaunch policy, host name patterns. */
void agl_parse_command(struct agl_chk *c, json_t *app, const char *path, struct agl_task_def *t);
void agl_parse_policy(struct agl_chk *c, json_t *app, const char *path, struct agl_task_def *t);
void agl_parse_names(struct agl_chk *c, json_t *app, const char *path, struct agl_app *a);
char **agl_str_array(struct agl_chk *c, json_t *arr, const char *path);
void agl_parse_env(struct agl_chk *c, json_t *env, const char *path, struct agl_task_def *t);

/* cluster_spec_app.c */
/* A number in [lo, hi] (lo excluded when lo_open) into *out when present. */
void agl_get_range(struct agl_chk *c, json_t *o, const char *path, const char *key, double *out,
                   double lo, bool lo_open, double hi);
void agl_parse_app(struct agl_chk *c, json_t *app, const char *path, const struct agl_net *nets,
                   size_t n_nets, struct agl_app *out);
void agl_app_clear(struct agl_app *a);
/* Expands the pattern for instance i ({index}, {id}); malloc'd or NULL. */
char *agl_expand(const char *pat, const char *app_id, uint32_t i);

#endif
