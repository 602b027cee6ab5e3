/* mesos_sched.c: the Mesos backend's subscription (docs/launchers.md,
 * "Mesos backend"): which master to SUBSCRIBE to (a static http:// list
 * rotated, the leader named by a 307, or the leader read from ZooKeeper),
 * capped and jittered re-subscribe back-off, the heartbeat watchdog, and
 * the dispatch of stream events to mesos_tasks.c. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesos_dl.h"
#include "mesos_int.h"

#define SUBSCRIBE_TIMEOUT (10 * AGORA_SEC)

struct ms_task *ms_task(struct agl_slot *s)
{
    if (s->be == NULL)
        s->be = calloc(1, sizeof(struct ms_task));
    return s->be;
}

const struct agl_mesos_stats *agl_mesos_stats(const struct agl_launcher *l)
{
    return l->ops == &agl_mesos_ops ? &((struct msched *)l->be)->stats : NULL;
}

void ms_send(struct msched *m, json_t *call)
{
    if (call == NULL || m->st != MS_SUBSCRIBED || !agl_active(m->l)) {
        json_decref(call);
        return;
    }
    if (agl_mconn_call(m->conn, call) != 0)
        agl_log(m->l, 3, "mesos: a call to %s is lost: out of memory", m->current);
}

static int parse_masters(struct msched *m, const char *spec, char *err, size_t errlen)
{
    char *copy = strdup(spec + strlen("http://")), *save = NULL;

    m->masters = calloc(strlen(spec) / 2 + 2, sizeof *m->masters);
    if (copy == NULL || m->masters == NULL) {
        free(copy);
        return snprintf(err, errlen, "mesos: out of memory"), -1;
    }
    for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        if (strncmp(t, "http://", 7) == 0)
            t += 7;
        t[strcspn(t, "/")] = '\0';
        if (strchr(t, ':') == NULL) {
            snprintf(err, errlen, "mesos: master \"%s\" is not host:port", t);
            free(copy);
            return -1;
        }
        m->masters[m->n_masters++] = strdup(t);
    }
    free(copy);
    return m->n_masters > 0 ? 0 : (snprintf(err, errlen, "mesos: no master given"), -1);
}

static void on_stream_open(void *ctx, const char *stream_id);
static int on_record(void *ctx, const char *rec, size_t len);
static void on_stream_end(void *ctx, long code, const char *loc, const char *body,
                          const char *err);
static void on_call_done(void *ctx, const char *type, long code, const char *loc,
                         const char *body, const char *err);

static const struct agl_mconn_ops CONN_OPS = {on_stream_open, on_record, on_stream_end,
                                              on_call_done};

static int ms_init(struct agl_launcher *l, char *err, size_t errlen)
{
    struct msched *m = calloc(1, sizeof *m);
    const char *url = l->cfg.masters;

    if (m == NULL)
        return snprintf(err, errlen, "mesos: out of memory"), -1;
    l->be = m;
    m->l = l;
    m->seed = (unsigned)(uintptr_t)m ^ (unsigned)agl_now(l);
    if (url == NULL || url[0] == '\0')
        return snprintf(err, errlen, "mesos: no masters (\"http://h:p,...\" or \"zk://...\")"),
               -1;
    if (strncmp(url, "zk://", 5) == 0) {
        /* libzookeeper-mt: loaded for zk:// masters only (mesos_dl.h) */
        if (agl_zk_dl_load(err, errlen) != 0 || (m->zk = agl_zk_new(url, err, errlen)) == NULL)
            return -1;
    } else if (strncmp(url, "http://", 7) != 0) {
        return snprintf(err, errlen, "mesos: masters \"%s\": expected http:// or zk://", url), -1;
    } else if (parse_masters(m, url, err, errlen) != 0) {
        return -1;
    }
    m->conn = agl_mconn_new(l, &CONN_OPS, m);
    return m->conn != NULL ? 0 : (snprintf(err, errlen, "mesos: out of memory"), -1);
}

static double jitter(struct msched *m, double s)
{
    m->seed = m->seed * 1103515245u + 12345u;
    return s * (0.5 + ((m->seed >> 8) % 1000) / 1000.0 * 0.5); /* 50..100 % */
}

void ms_reconnect(struct msched *m, const char *why, bool now)
{
    struct agl_launcher *l = m->l;

    agl_mconn_close(m->conn);
    ms_drop_pending(m);
    if (m->st == MS_SUBSCRIBED || m->st == MS_SUBSCRIBING)
        m->stats.reconnects++;
    m->st = MS_WAIT;
    m->recon_done = false;
    double wait = now ? 0 : jitter(m, m->backoff_s);
    if (!now)
        m->backoff_s = m->backoff_s * 2 > l->cfg.backoff_max_s ? l->cfg.backoff_max_s
                                                               : m->backoff_s * 2;
    m->retry_at = agl_now(l) + (agora_time_t)(wait * 1e9);
    agl_log(l, 5, "mesos: %s; subscribing again in %.2f s", why, wait);
    ms_tick(l);
}

/* The master to try now, or false if none is known (ZooKeeper empty). */
static bool pick_master(struct msched *m)
{
    if (m->redirect[0] != '\0') {
        snprintf(m->current, sizeof m->current, "%s", m->redirect);
        m->redirect[0] = '\0';
        return true;
    }
    if (m->zk != NULL) {
        char why[768];
        int rc = agl_zk_check(m->zk, why, sizeof why); /* names that failed: try again */
        if (rc != 0)
            agl_log(m->l, rc < 0 ? 3 : 4, "mesos: %s", why);
        agl_zk_leader(m->zk, m->current, sizeof m->current);
        return m->current[0] != '\0';
    }
    snprintf(m->current, sizeof m->current, "%s", m->masters[m->next_master++ % m->n_masters]);
    return true;
}

static void subscribe(struct msched *m)
{
    struct agl_launcher *l = m->l;
    const char *fid = m->fid[0] != '\0' ? m->fid : l->framework_id;
    struct agl_fwinfo fw = {l->cfg.user, l->cfg.framework_name, l->cfg.role, l->cfg.principal,
                            l->cfg.node, fid, l->cfg.failover_timeout_s};

    if (fid[0] == '\0' || strcmp(fid, m->dropped_fid) == 0)
        fw.id = NULL;
    if (!pick_master(m)) {
        ms_reconnect(m, "no leading master in ZooKeeper yet", false);
        return;
    }
    json_t *call = agl_mj_subscribe(&fw);
    m->st = MS_SUBSCRIBING;
    m->attempt_start = m->last_event = agl_now(l);
    m->stats.subscribes++;
    agl_log(l, 6, "mesos: SUBSCRIBE to %s as %s", m->current, fw.id ? fw.id : "a new framework");
    int rc = agl_mconn_subscribe(m->conn, m->current, call);
    json_decref(call);
    if (rc != 0) /* out of memory, or an address that cannot go in a request */
        ms_reconnect(m, "SUBSCRIBE could not be sent", false);
}

void ms_tick(struct agl_launcher *l)
{
    struct msched *m = MS(l);
    agora_time_t now = agl_now(l), next = AGL_NEVER, dog;

    if (!agl_active(l) || m->st == MS_IDLE) {
        agl_deadline(l, AGL_DL_BACKEND2, AGL_NEVER);
        return;
    }
    if (ms_down_tick(m))
        return;
    if (m->st == MS_WAIT && now >= m->retry_at)
        subscribe(m);
    if (m->st == MS_WAIT)
        next = m->retry_at;
    dog = m->st == MS_SUBSCRIBED
              ? m->last_event + (agora_time_t)(l->cfg.watchdog_heartbeats * m->hb_s * 1e9)
              : m->attempt_start + SUBSCRIBE_TIMEOUT;
    if (m->st != MS_WAIT && now >= dog) {
        m->stats.watchdog_fired++;
        ms_reconnect(m, m->st == MS_SUBSCRIBED ? "no event for several heartbeats (stream stalled)"
                                               : "no answer to SUBSCRIBE", false);
        return;
    }
    if (m->st != MS_WAIT)
        next = dog;
    if (m->st == MS_SUBSCRIBED) {
        ms_progress(m);
        agora_time_t r = ms_reconcile_step(m);
        next = r < next ? r : next;
        for (int i = 0; i < m->n_pend; i++)
            next = m->pend[i].deadline < next ? m->pend[i].deadline : next;
    }
    agl_deadline(l, AGL_DL_BACKEND2, next);
}

static void on_stream_open(void *ctx, const char *stream_id)
{
    struct msched *m = ctx;
    agl_log(m->l, 7, "mesos: stream %s open at %s", stream_id, m->current);
}

static void on_event(struct msched *m, const struct agl_event *ev)
{
    switch (ev->type) {
    case AGL_EV_SUBSCRIBED:
        m->st = MS_SUBSCRIBED;
        m->teardown_sent = false;
        m->hb_s = ev->heartbeat_s > 0 ? ev->heartbeat_s : 15.0;
        m->backoff_s = m->l->cfg.backoff_min_s;
        snprintf(m->fid, sizeof m->fid, "%s", ev->framework_id);
        m->stats.subscribed++;
        agl_log(m->l, 5, "mesos: subscribed to %s as framework %s", m->current, m->fid);
        ms_on_subscribed(m);
        break;
    case AGL_EV_OFFERS:
        ms_on_offers(m, ev);
        break;
    case AGL_EV_RESCIND:
        if (ev->rescind_id != NULL)
            ms_on_rescind(m, ev->rescind_id);
        break;
    case AGL_EV_UPDATE:
        ms_on_update(m, &ev->status);
        break;
    case AGL_EV_ERROR:
        /* expected while down: a re-subscription learns that TEARDOWN worked */
        agl_log(m->l, m->l->down ? 5 : 4, "mesos: ERROR event: %s", ev->error);
        if (strstr(ev->error, "removed") != NULL) {
            /* The framework was torn down (failover_timeout passed): its
             * tasks are gone. Record that and start a new framework. */
            snprintf(m->dropped_fid, sizeof m->dropped_fid, "%s",
                     m->fid[0] ? m->fid : m->l->framework_id);
            m->fid[0] = '\0';
            agl_propose_framework(m->l, "");
            for (size_t i = 0; i < m->l->n_slots; i++) {
                enum agora_task_state s = agl_slot_state(&m->l->slots[i]);
                if (s != AGORA_TASK_NONE && !agl_state_terminal(s))
                    agl_observe(m->l, &m->l->slots[i], AGORA_TASK_LOST, "",
                                "framework removed by the master");
            }
        }
        break;
    default:
        break;
    }
}

static int on_record(void *ctx, const char *rec, size_t len)
{
    struct msched *m = ctx;
    struct agl_event ev;
    char why[160];

    m->last_event = agl_now(m->l);
    if (agl_mj_parse_event(rec, len, &ev, why, sizeof why) != 0) {
        agl_log(m->l, 4, "mesos: bad event from %s: %s", m->current, why);
        return 0;
    }
    on_event(m, &ev);
    agl_mj_event_free(&ev);
    return 0;
}

static void on_stream_end(void *ctx, long code, const char *loc, const char *body,
                          const char *err)
{
    struct msched *m = ctx;
    char hp[256], why[1024];

    if (!agl_active(m->l))
        return;
    if (code == 307 && agl_mj_location_hostport(loc, hp, sizeof hp) == 0) {
        m->stats.redirects++;
        snprintf(m->redirect, sizeof m->redirect, "%s", hp);
        snprintf(why, sizeof why, "%s is not the leader: redirected to %s", m->current, hp);
        ms_reconnect(m, why, m->stats.redirects % 4 != 0); /* a redirect loop backs off */
        return;
    }
    snprintf(why, sizeof why, "stream from %s ended (HTTP %ld%s%.200s%s%s)", m->current, code,
             body[0] ? ": " : "", body, err[0] ? ", " : "", err);
    ms_reconnect(m, why, false);
}

static void on_call_done(void *ctx, const char *type, long code, const char *loc,
                         const char *body, const char *err)
{
    struct msched *m = ctx;
    char why[512];

    (void)loc;
    if (code == 202 || code == 200) {
        if (strcmp(type, "TEARDOWN") == 0 && agl_active(m->l))
            ms_torn_down(m);
        return;
    }
    snprintf(why, sizeof why, "%s call answered HTTP %ld%s%.200s%s%s", type, code,
             body[0] ? ": " : "", body, err[0] ? ", " : "", err);
    if (code == 307 || code == 403 || code == 503 || code == 0 ||
        (code == 400 && (strstr(body, "cannot be found") || strstr(body, "stream ID") ||
                         strstr(body, "Mesos-Stream-Id"))))
        ms_reconnect(m, why, false); /* the subscription is gone: subscribe again */
    else
        agl_log(m->l, 3, "mesos: %s", why);
}

static int ms_start(struct agl_launcher *l)
{
    struct msched *m = MS(l);

    m->backoff_s = l->cfg.backoff_min_s;
    m->st = MS_WAIT;
    m->retry_at = agl_now(l);
    m->fid[0] = '\0';
    if (m->zk != NULL)
        agl_watch(l, agl_zk_fd(m->zk), POLLIN);
    ms_tick(l);
    return 0;
}

static void ms_stop(struct agl_launcher *l)
{
    struct msched *m = MS(l);

    agl_mconn_close(m->conn);
    ms_drop_pending(m);
    m->st = MS_IDLE;
    m->n_acks = 0;
    if (m->zk != NULL)
        agl_watch(l, agl_zk_fd(m->zk), 0);
    for (int i = AGL_DL_SLOTS; i < AGL_DL_COUNT; i++)
        agl_deadline(l, (enum agl_deadline)i, AGL_NEVER);
}

static void ms_on_fd(struct agl_launcher *l, int fd, short revents)
{
    struct msched *m = MS(l);

    if (m->zk != NULL && fd == agl_zk_fd(m->zk)) {
        char now[256];
        agl_zk_drain(m->zk);
        agl_zk_leader(m->zk, now, sizeof now);
        if (m->st != MS_IDLE && now[0] != '\0' && strcmp(now, m->current) != 0 &&
            agl_active(l)) {
            agl_log(l, 5, "mesos: ZooKeeper names a new leading master %s", now);
            ms_reconnect(m, "leading master changed", true);
        }
        return;
    }
    agl_mconn_on_fd(m->conn, fd, revents);
    ms_tick(l);
}

static void ms_on_timer(struct agl_launcher *l)
{
    struct msched *m = MS(l);

    if (l->deadlines[AGL_DL_BACKEND1] <= agl_now(l)) {
        l->deadlines[AGL_DL_BACKEND1] = AGL_NEVER;
        agl_mconn_on_timer(m->conn);
    }
    ms_tick(l);
}

static void ms_sync(struct agl_launcher *l)
{
    ms_tick(l);
}

static void ms_reconcile(struct agl_launcher *l)
{
    struct msched *m = MS(l);
    if (m->st == MS_SUBSCRIBED)
        ms_on_subscribed(m);
}

static int ms_teardown_op(struct agl_launcher *l)
{
    return ms_teardown(MS(l));
}

static void ms_slot_gone(struct agl_launcher *l, struct agl_slot *s)
{
    (void)l;
    free(s->be);
    s->be = NULL;
}

static void ms_fini(struct agl_launcher *l)
{
    struct msched *m = MS(l);

    if (m == NULL)
        return;
    agl_mconn_free(m->conn);
    agl_zk_free(m->zk);
    for (size_t i = 0; i < m->n_masters; i++)
        free(m->masters[i]);
    free(m->masters);
    free(m);
}

static void ms_describe(const struct agl_launcher *l, char *out, size_t outlen)
{
    const struct msched *m = l->be;
    static const char *const ST[] = {"idle", "waiting", "subscribing", "subscribed", "down"};
    snprintf(out, outlen, "mesos: %s %s as %s", ST[m->st], m->current,
             m->fid[0] ? m->fid : "(no framework yet)");
}

const struct agl_backend_ops agl_mesos_ops = {
    .name = "mesos",
    .init = ms_init,
    .start = ms_start,
    .sync = ms_sync,
    .on_fd = ms_on_fd,
    .on_timer = ms_on_timer,
    .reconcile = ms_reconcile,
    .teardown = ms_teardown_op,
    .stop = ms_stop,
    .slot_gone = ms_slot_gone,
    .fini = ms_fini,
    .describe = ms_describe,
};
