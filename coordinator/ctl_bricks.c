/* ctl_bricks.c: agoractl's brick access (ctl_bricks.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_bricks.h"
#include "discover.h"
#include "log.h"
#include "transport_brick.h"

static uint64_t call_no;

static void on_reply(void *ctx, const struct agd_reply *r)
{
    struct ctl_conn *c = ctx;
    if (r->cookie != call_no || r->acceptor >= c->tr->n)
        return; /* a late answer to an earlier call */
    struct ctl_reply *out = &c->r[r->acceptor];
    free(out->data);
    out->data = NULL;
    out->len = 0;
    out->status = r->status;
    if (r->status == AGD_TR_OK && (out->data = malloc(r->len ? r->len : 1)) != NULL) {
        memcpy(out->data, r->data, r->len);
        out->len = r->len;
    } else if (r->status == AGD_TR_OK) {
        out->status = AGD_TR_ERROR;
    }
}

/* agoractl logs only warnings and worse (brick reachability changes). */
static void quiet_sink(void *ctx, int level, const char *line)
{
    (void)ctx;
    if (level <= AGD_WARNING)
        fprintf(stderr, "agoractl: %s\n", line);
}

/* The transport connects on the first request and answers UNREACHABLE
 * until connected (a few ms, normally): ask for the status until every
 * brick answered or CTL_CONNECT_MS passed. */
static void warm_up(struct ctl_conn *c)
{
    struct agora_ctl q;
    agora_ctl_init(&q);
    q.type = AGORA_CTL_STATUS;
    agora_time_t t0 = agd_clock_monotonic(NULL);
    for (;;) {
        int ok = ctl_call_ctl(c, &q, CTL_TIMEOUT_MS);
        agora_time_t waited = agd_clock_monotonic(NULL) - t0;
        if (ok == (int)c->tr->n || waited >= CTL_CONNECT_MS * AGORA_MS ||
            (ok >= (int)c->tr->n / 2 + 1 && waited >= CTL_GRACE_MS * AGORA_MS))
            break;
        usleep(20 * 1000);
    }
}

/* The private folder of the per-brick volfiles; removed by ctl_exit. */
static char ctl_dir[512];

static void remove_dir(void)
{
    char p[600];
    if (ctl_dir[0] == '\0')
        return;
    for (unsigned i = 0; i < AGD_MAX_BRICKS; i++) {
        snprintf(p, sizeof(p), "%s/brick%u.vol", ctl_dir, i);
        unlink(p);
    }
    rmdir(ctl_dir);
}

int ctl_connect(const struct ctl_opts *o, struct ctl_conn *c)
{
    char err[AGD_CONFIG_ERR_MAX];
    memset(c, 0, sizeof(*c));
    agd_log_set_sink(quiet_sink, NULL);
    if (agd_config_load(o->config, &c->cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "agoractl: %s\n", err);
        return CTL_CONFIG;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(ctl_dir, sizeof(ctl_dir), "%s/agoractl-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(ctl_dir) == NULL) {
        fprintf(stderr, "agoractl: cannot create %s: %s\n", ctl_dir, strerror(errno));
        ctl_dir[0] = '\0';
        return CTL_FAIL;
    }
    const char *d = ctl_dir;
    if (agd_discover_bricks(&c->cfg, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "agoractl: %s\n", err);
        return CTL_FAIL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->tag = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    c->sender = c->cfg.id | CTL_SENDER_BIT;
    uint32_t id = c->cfg.id;
    c->cfg.id = c->sender; /* the transport seals with cfg->id */
    c->loop = agd_loop_new(agd_clock_monotonic, NULL);
    int rc = c->loop == NULL ? -1
                             : agd_brick_transport_new(&c->cfg, c->loop, c->tag, d, &c->tr, err,
                                                       sizeof(err));
    c->cfg.id = id;
    if (rc != 0) {
        fprintf(stderr, "agoractl: %s\n", c->loop == NULL ? "out of memory" : err);
        return CTL_FAIL;
    }
    c->tr->on_reply = on_reply;
    c->tr->reply_ctx = c;
    warm_up(c);
    return CTL_OK;
}

/* Sends one request per brick (bodies[i], NULL: none) and waits. */
static int call_each(struct ctl_conn *c, uint8_t kind, struct agora_buf *bodies, int timeout_ms)
{
    call_no++;
    uint32_t want = 0;
    for (uint32_t i = 0; i < c->tr->n; i++) {
        c->r[i].status = -1;
        if (bodies[i].len > 0 &&
            agd_tr_send(c->tr, i, kind, bodies[i].data, bodies[i].len, call_no) == 0)
            want++;
    }
    /* all answers, or a quorum and CTL_GRACE_MS more: a hung brick costs
     * that grace, not the whole timeout */
    agora_time_t t0 = agd_clock_monotonic(NULL);
    agora_time_t until = t0 + (agora_time_t)timeout_ms * AGORA_MS;
    bool quorum_seen = false;
    for (;;) {
        uint32_t got = 0;
        for (uint32_t i = 0; i < c->tr->n; i++)
            got += c->r[i].status >= 0;
        agora_time_t now = agd_clock_monotonic(NULL);
        if (!quorum_seen && got >= c->tr->n / 2 + 1 && got < want) {
            quorum_seen = true;
            if (now + CTL_GRACE_MS * AGORA_MS < until)
                until = now + CTL_GRACE_MS * AGORA_MS;
        }
        if (got >= want || now >= until)
            break;
        agd_loop_run_once(c->loop, (int)((until - now) / AGORA_MS) + 1);
    }
    int ok = 0;
    for (uint32_t i = 0; i < c->tr->n; i++)
        ok += c->r[i].status == AGD_TR_OK;
    if (getenv("AGORACTL_TRACE") != NULL)
        fprintf(stderr, "agoractl: call %" PRIu64 " kind %u: %d ok [%d %d %d] in %" PRIu64
                " ms\n", call_no, kind, ok, c->r[0].status, c->tr->n > 1 ? c->r[1].status : 9,
                c->tr->n > 2 ? c->r[2].status : 9, (agd_clock_monotonic(NULL) - t0) / AGORA_MS);
    return ok;
}

int ctl_call(struct ctl_conn *c, uint8_t kind, const struct agora_buf *body, int timeout_ms)
{
    struct agora_buf b[AGD_MAX_BRICKS];
    for (uint32_t i = 0; i < c->tr->n; i++)
        b[i] = *body;
    return call_each(c, kind, b, timeout_ms);
}

int ctl_call_ctl(struct ctl_conn *c, const struct agora_ctl *m, int timeout_ms)
{
    struct agora_buf body;
    agora_buf_init(&body);
    int ok = agora_ctl_encode(m, &body) == AGORA_OK ? ctl_call(c, AGD_TR_CONTROL, &body,
                                                                 timeout_ms)
                                                      : 0;
    agora_buf_free(&body);
    return ok;
}

/* FETCH(from) to brick `only` (or every brick if only < 0); the decoded
 * replies in msgs[] (type FETCHED or type 0). */
static int fetch(struct ctl_conn *c, int only, uint64_t from, struct agora_msg *msgs)
{
    struct agora_buf b[AGD_MAX_BRICKS];
    for (uint32_t i = 0; i < c->tr->n; i++) {
        agora_buf_init(&b[i]);
        if (only >= 0 && (uint32_t)only != i)
            continue;
        struct agora_msg m;
        agora_msg_init(&m);
        m.type = AGORA_MSG_FETCH;
        m.from = c->sender;
        m.to = i;
        m.tag = c->tag;
        m.seq = ++c->seq;
        m.slot = from;
        if (agora_msg_encode(&m, &b[i]) != AGORA_OK)
            agora_buf_reset(&b[i]);
    }
    int ok = call_each(c, AGD_TR_PAXOS, b, CTL_TIMEOUT_MS);
    for (uint32_t i = 0; i < c->tr->n; i++) {
        agora_buf_free(&b[i]);
        agora_msg_init(&msgs[i]);
        if (c->r[i].status != AGD_TR_OK ||
            agora_msg_decode(c->r[i].data, c->r[i].len, &msgs[i]) != AGORA_OK ||
            msgs[i].type != AGORA_MSG_FETCHED)
            agora_msg_clear(&msgs[i]);
    }
    return ok;
}

static void clear_msgs(struct ctl_conn *c, struct agora_msg *msgs)
{
    for (uint32_t i = 0; i < c->tr->n; i++)
        agora_msg_clear(&msgs[i]);
}

/* Applies one FETCHED reply (snapshot, then entries) to sm and keeps the
 * entries >= keep_from in log (if not NULL). Returns the next slot. */
static uint64_t absorb(struct agora_sm *sm, const struct agora_msg *m, struct agora_log *log,
                       uint64_t keep_from, uint64_t *snap_index)
{
    if ((m->reason & AGORA_REPLY_SNAPSHOT) && m->snap_index > agora_sm_applied(sm) &&
        agora_sm_restore(sm, m->snap, m->snap_len) == AGORA_OK)
        *snap_index = m->snap_index;
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const struct agora_entry *e = &m->entries[i];
        if (e->slot != agora_sm_applied(sm) + 1)
            continue;
        agora_sm_apply(sm, e->slot, e->data, e->len, NULL, 0);
        if (log != NULL && e->slot >= keep_from)
            agora_log_put(log, e->slot, e->ballot, e->data, e->len);
    }
    return agora_sm_applied(sm) + 1;
}

static int learn(struct ctl_conn *c, struct agora_sm *sm, struct agora_log *log, uint64_t from,
                 uint64_t *commit, uint64_t *snap_index)
{
    struct agora_msg msgs[AGD_MAX_BRICKS];
    *snap_index = 0;
    if (fetch(c, -1, 1, msgs) == 0) {
        clear_msgs(c, msgs);
        return CTL_NO_LEADER;
    }
    int best = -1;
    for (uint32_t i = 0; i < c->tr->n; i++)
        if (msgs[i].type == AGORA_MSG_FETCHED && (best < 0 || msgs[i].commit > msgs[best].commit))
            best = (int)i;
    if (best < 0) {
        clear_msgs(c, msgs);
        return CTL_NO_LEADER;
    }
    *commit = msgs[best].commit;
    uint64_t next = absorb(sm, &msgs[best], log, from, snap_index);
    bool more = (msgs[best].reason & AGORA_REPLY_PARTIAL) != 0;
    clear_msgs(c, msgs);
    while (more && next <= *commit) {
        if (fetch(c, best, next, msgs) == 0 || msgs[best].type != AGORA_MSG_FETCHED)
            break;
        uint64_t n2 = absorb(sm, &msgs[best], log, from, snap_index);
        more = (msgs[best].reason & AGORA_REPLY_PARTIAL) != 0 && n2 > next;
        next = n2;
        clear_msgs(c, msgs);
    }
    clear_msgs(c, msgs);
    return CTL_OK;
}

int ctl_learn(struct ctl_conn *c, struct agora_sm *sm, uint64_t *commit)
{
    uint64_t snap;
    return learn(c, sm, NULL, 0, commit, &snap);
}

int ctl_learn_log(struct ctl_conn *c, uint64_t from, struct agora_log *entries,
                  uint64_t *commit, uint64_t *snap_index)
{
    struct agora_sm sm;
    agora_sm_init(&sm);
    int rc = learn(c, &sm, entries, from, commit, snap_index);
    agora_sm_free(&sm);
    return rc;
}

void ctl_exit(int rc)
{
    remove_dir();
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
}
