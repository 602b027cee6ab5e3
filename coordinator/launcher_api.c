/* launcher_api.c: the public entry points of launcher.h (the master list's
 * check among them), and the mirror of the committed task table that every
 * backend reads. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora/validate.h"
#include "http_req.h"
#include "launcher_int.h"
#include "mesos_int.h"
#include "zk_discovery.h"
#include "zk_resolve.h"

void agl_config_defaults(struct agl_config *c)
{
#define DEF(f, v) if (c->f == 0) c->f = (v)
    DEF(framework_name, "agora");
    DEF(user, "root");
    DEF(role, "*");
    DEF(node, "localhost");
    DEF(failover_timeout_s, 604800.0);
    DEF(refuse_seconds, 5.0);
    DEF(watchdog_heartbeats, 5.0);
    DEF(backoff_min_s, 1.0);
    DEF(backoff_max_s, 15.0);
    DEF(reconcile_retry_s, 5.0);
    DEF(call_timeout_s, 75.0);
#undef DEF
}

static char *dupn(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void free_cfg(struct agl_config *c)
{
    free((char *)c->node);
    free((char *)c->log_dir);
    free((char *)c->masters);
    free((char *)c->framework_name);
    free((char *)c->user);
    free((char *)c->role);
    free((char *)c->principal);
}

struct agl_launcher *agl_launcher_new(const struct agl_config *cfg, const struct agl_host *host,
                                      char *err, size_t errlen)
{
    struct agl_launcher *l = calloc(1, sizeof *l);

    if (l == NULL) {
        snprintf(err, errlen, "launcher: out of memory");
        return NULL;
    }
    l->cfg = *cfg;
    agl_config_defaults(&l->cfg);
    l->cfg.node = dupn(l->cfg.node);
    l->cfg.log_dir = dupn(cfg->log_dir);
    l->cfg.masters = dupn(cfg->masters);
    l->cfg.framework_name = dupn(l->cfg.framework_name);
    l->cfg.user = dupn(l->cfg.user);
    l->cfg.role = dupn(l->cfg.role);
    l->cfg.principal = dupn(cfg->principal);
    l->host = *host;
    l->framework_id = strdup("");
    for (int i = 0; i < AGL_DL_COUNT; i++)
        l->deadlines[i] = AGL_NEVER;
    l->ops = cfg->backend == AGL_BACKEND_MESOS ? &agl_mesos_ops
           : cfg->backend == AGL_BACKEND_LOCAL ? &agl_local_ops : NULL;
    if (l->ops == NULL)
        snprintf(err, errlen, "launcher: unknown backend %d", (int)cfg->backend);
    if (l->ops == NULL || l->ops->init(l, err, errlen) != 0) {
        if (l->ops != NULL && l->be != NULL)
            l->ops->fini(l);
        l->ops = NULL;
        agl_launcher_free(l);
        return NULL;
    }
    return l;
}

static void slot_free(struct agl_launcher *l, struct agl_slot *s)
{
    if (l->ops != NULL && l->ops->slot_gone != NULL)
        l->ops->slot_gone(l, s);
    free(s->id);
    free(s->agent_id);
    agl_task_def_clear(&s->def);
}

/* The slot for t, created in id order if new. */
static struct agl_slot *slot_get(struct agl_launcher *l, const char *id)
{
    size_t i = 0;
    struct agl_slot *s = agl_slot_find(l, id);

    if (s != NULL)
        return s;
    if (l->n_slots == l->cap_slots) {
        size_t cap = l->cap_slots ? l->cap_slots * 2 : 16;
        struct agl_slot *v = realloc(l->slots, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        l->slots = v;
        l->cap_slots = cap;
    }
    while (i < l->n_slots && strcmp(l->slots[i].id, id) < 0)
        i++;
    memmove(&l->slots[i + 1], &l->slots[i], (l->n_slots - i) * sizeof *l->slots);
    memset(&l->slots[i], 0, sizeof l->slots[i]);
    l->slots[i].id = strdup(id);
    l->n_slots++;
    return l->slots[i].id != NULL ? &l->slots[i] : NULL;
}

static void slot_update(struct agl_launcher *l, struct agl_slot *s, const struct agora_task *t)
{
    char why[256];

    s->seen = true;
    s->goal = t->goal;
    if (t->desired_slot != s->desired_slot) {
        agl_task_def_clear(&s->def);
        s->desired_slot = t->desired_slot;
        s->def_ok = agl_task_def_from_json(t->spec, &s->def, why, sizeof why) == 0;
        if (!s->def_ok)
            agl_log(l, 3, "task %s: unusable definition in the log: %s", t->id, why);
    }
    if (t->observed_slot != s->observed_slot) {
        s->observed_slot = t->observed_slot;
        s->state = t->state;
        free(s->agent_id);
        s->agent_id = strdup(t->agent_id);
        if (s->proposed == t->state)
            s->proposed = AGORA_TASK_NONE; /* committed: the log says it now */
    }
}

static void mirror(struct agl_launcher *l, const struct agora_sm *sm)
{
    struct agora_sm_leader lead = agora_sm_leader(sm);
    size_t w = 0;

    if (l->started && agora_ballot_cmp(lead.ballot, l->ballot) > 0 && !l->fenced) {
        agl_log(l, 5, "launcher: a higher ballot leads (%llu.%u): fenced",
                (unsigned long long)lead.ballot.round, lead.ballot.node);
        l->fenced = true;
        l->ops->stop(l);
    }
    free(l->framework_id);
    l->framework_id = strdup(agora_sm_framework_id(sm));
    if (l->down != agora_sm_cluster_down(sm))
        agl_log(l, 5, "launcher: the cluster is %s", agora_sm_cluster_down(sm) ? "down" : "up");
    l->down = agora_sm_cluster_down(sm);
    for (size_t i = 0; i < l->n_slots; i++)
        l->slots[i].seen = false;
    for (size_t i = 0; i < agora_sm_task_count(sm); i++) {
        const struct agora_task *t = agora_sm_task_at(sm, i);
        struct agl_slot *s = slot_get(l, t->id);
        if (s != NULL)
            slot_update(l, s, t);
    }
    for (size_t i = 0; i < l->n_slots; i++) {
        if (l->slots[i].seen)
            l->slots[w++] = l->slots[i];
        else
            slot_free(l, &l->slots[i]);
    }
    l->n_slots = w;
}

int agl_launcher_start(struct agl_launcher *l, struct agora_ballot ballot,
                       const struct agora_sm *sm)
{
    l->ballot = ballot;
    l->fenced = false;
    l->started = true;
    mirror(l, sm);
    agl_log(l, 5, "launcher %s: started for ballot %llu.%u", l->ops->name,
            (unsigned long long)ballot.round, ballot.node);
    return l->ops->start(l);
}

void agl_launcher_sync(struct agl_launcher *l, const struct agora_sm *sm)
{
    mirror(l, sm);
    if (agl_active(l))
        l->ops->sync(l);
}

void agl_launcher_on_fd(struct agl_launcher *l, int fd, short revents)
{
    l->ops->on_fd(l, fd, revents);
}

void agl_launcher_on_timer(struct agl_launcher *l)
{
    l->ops->on_timer(l);
}

void agl_launcher_reconcile(struct agl_launcher *l)
{
    if (agl_active(l))
        l->ops->reconcile(l);
}

int agl_launcher_teardown(struct agl_launcher *l)
{
    return agl_active(l) ? l->ops->teardown(l) : -1;
}

void agl_launcher_stop(struct agl_launcher *l)
{
    if (!l->started)
        return;
    l->ops->stop(l);
    l->started = false;
    agl_log(l, 5, "launcher %s: stopped", l->ops->name);
}

void agl_launcher_free(struct agl_launcher *l)
{
    if (l == NULL)
        return;
    if (l->ops != NULL) {
        agl_launcher_stop(l);
        for (size_t i = 0; i < l->n_slots; i++)
            slot_free(l, &l->slots[i]);
        l->ops->fini(l);
    }
    free(l->slots);
    free(l->framework_id);
    free_cfg(&l->cfg);
    free(l);
}

void agl_launcher_describe(const struct agl_launcher *l, char *out, size_t outlen)
{
    l->ops->describe(l, out, outlen);
}

/* --- agl_masters_check ---------------------------------------------------------------- */

static agora_time_t no_now(void *ctx)
{
    (void)ctx;
    return 0;
}

static int no_watch(void *ctx, int fd, short events)
{
    (void)ctx;
    (void)fd;
    (void)events;
    return 0;
}

static void no_wake(void *ctx, agora_time_t when)
{
    (void)ctx;
    (void)when;
}

static int no_propose(void *ctx, const struct agora_cmd *cmd)
{
    (void)ctx;
    (void)cmd;
    return -1;
}

/* host:port as the HTTP client splits it; the host an IP address or a
 * host name (RFC 1123), so that a typo is not left to the resolver. */
static int hostport_ok(const char *hp, char *why, size_t whylen)
{
    char host[AGL_HTTP_HOST_MAX], bad[160];
    unsigned port;
    struct agora_ip ip;

    if (agl_http_split_hostport(hp, host, sizeof host, &port, why, whylen) != 0)
        return -1;
    if (agora_parse_ip(host, strlen(host), &ip, NULL, 0) == AGORA_OK ||
        agora_valid_hostname(host, strlen(host), bad, sizeof bad) == AGORA_OK)
        return 0;
    return snprintf(why, whylen, "bad address \"%.80s\": not an IP address nor a host name: %s",
                    hp, bad), -1;
}

/* zk://: the URL as zk_discovery.c splits it, then each of its hosts. */
static int zk_check(const char *url, char *why, size_t whylen)
{
    char hosts[1024], path[512], one[AGL_HTTP_HOST_MAX + 8];
    int k = 1;

    if (agl_zk_parse_url(url, hosts, sizeof hosts, path, sizeof path, why, whylen) != 0)
        return -1;
    for (const char *p = hosts;; p += strcspn(p, ",") + 1, k++) {
        size_t n = strcspn(p, ",");
        if (k > AGL_ZKRES_HOSTS) /* zk_resolve.c's limit, met when leading */
            return snprintf(why, whylen, "more than %d ZooKeeper servers", AGL_ZKRES_HOSTS), -1;
        if (n == 0 || n >= sizeof one)
            return snprintf(why, whylen, "\"%s\": %s ZooKeeper server", url,
                            n == 0 ? "an empty" : "a too long"), -1;
        memcpy(one, p, n);
        one[n] = '\0';
        if (hostport_ok(one, why, whylen) != 0)
            return -1;
        if (p[n] == '\0')
            return 0;
    }
}

int agl_masters_check(const char *masters, char *why, size_t whylen)
{
    struct agl_config cfg = {.backend = AGL_BACKEND_MESOS, .masters = masters};
    struct agl_host host = {NULL, no_now, no_watch, no_wake, no_propose, NULL};
    struct agl_launcher *l;
    int rc = 0;

    if (masters != NULL && strncmp(masters, "zk://", 5) == 0)
        return zk_check(masters, why, whylen);
    /* http://: the list exactly as the launcher's init reads it */
    l = agl_launcher_new(&cfg, &host, why, whylen);
    if (l == NULL) {
        if (strncmp(why, "mesos: ", 7) == 0)
            memmove(why, why + 7, strlen(why + 7) + 1);
        return -1;
    }
    for (size_t i = 0; i < MS(l)->n_masters && rc == 0; i++)
        rc = hostport_ok(MS(l)->masters[i], why, whylen);
    agl_launcher_free(l);
    return rc;
}
