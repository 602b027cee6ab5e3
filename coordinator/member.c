/* member.c: heartbeats, the leader's poll, expiry and queued requests
 * (member.h). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agora/control.h"
#include "agora/sm.h"
#include "log.h"
#include "member.h"
#include "node.h"

#define MAX_SEEN AGORA_CTL_MAX_MEMBERS
#define MAX_RECENT 512
#define RECENT_NS (2 * AGORA_SEC) /* do not propose the same thing again sooner */

enum { CK_BEAT = 1, CK_SUBMIT = 2, CK_POLL = 3 };
#define COOKIE(type, n) ((uint64_t)(type) << 56 | ((n) & 0xffffffffffffffull))

struct seen {
    char id[AGORA_CTL_ID_MAX + 1];
    agora_time_t t;               /* last heartbeat, on our clock */
};

struct recent {
    char key[AGORA_SM_ID_MAX * 2 + 48];
    agora_time_t until;
};

struct agd_members {
    struct agd_node *n;
    const struct agd_config *cfg;
    const char *prefix;
    struct agora_buf buf;
    agora_time_t next_beat, next_submit, next_poll;
    uint64_t poll_round;
    uint64_t join_seq, leave_seq;  /* our requests, 0 = none yet */
    agora_time_t office;           /* when we took the lease; 0 = not leading */
    agora_time_t leave_deadline;   /* 0 = not leaving */
    struct seen *seen;
    size_t n_seen;
    struct recent recent[MAX_RECENT];
    bool invalid_logged;
};

static uint64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct agd_members *agd_members_new(struct agd_node *n)
{
    struct agd_members *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->n = n;
    m->cfg = agd_node_config(n);
    m->prefix = agd_node_prefix(n);
    agora_buf_init(&m->buf);
    return m;
}

void agd_members_free(struct agd_members *m)
{
    if (m == NULL)
        return;
    agora_buf_free(&m->buf);
    free(m->seen);
    free(m);
}

/* --- sending ------------------------------------------------------------------ */

static void send_ctl(struct agd_members *m, const struct agora_ctl *c, uint64_t cookie)
{
    struct agd_transport *tr = agd_node_transport(m->n);
    agora_buf_reset(&m->buf);
    if (agora_ctl_encode(c, &m->buf) != AGORA_OK) {
        agd_logp(AGD_ERR, m->prefix, "cannot encode a %s request", agora_ctl_type_name(c->type));
        return;
    }
    for (uint32_t i = 0; i < tr->n; i++)
        agd_tr_send(tr, i, AGD_TR_CONTROL, m->buf.data, m->buf.len, cookie);
}

static void heartbeat(struct agd_members *m)
{
    struct agora_ctl c;
    agora_ctl_init(&c);
    c.type = AGORA_CTL_HEARTBEAT;
    if (agora_ctl_set_member(&c, m->cfg->name, strlen(m->cfg->name)) == AGORA_OK)
        send_ctl(m, &c, COOKIE(CK_BEAT, 0));
    agora_ctl_clear(&c);
}

/* Queues cmd on the bricks (SUBMIT), or proposes it when we lead. */
static void request(struct agd_members *m, const struct agora_cmd *cmd, bool holds)
{
    char why[256];
    if (holds) {
        int rc = agd_node_propose(m->n, cmd);
        if (rc != AGORA_OK)
            agd_logp(AGD_WARNING, m->prefix, "cannot propose %s: %s",
                     agora_cmd_kind_name(cmd->kind), agora_strerror(rc));
        return;
    }
    struct agora_buf e;
    struct agora_ctl c;
    agora_buf_init(&e);
    agora_ctl_init(&c);
    c.type = AGORA_CTL_SUBMIT;
    if (agora_cmd_encode(cmd, &e, why, sizeof(why)) != AGORA_OK)
        agd_logp(AGD_ERR, m->prefix, "cannot encode our %s: %s", agora_cmd_kind_name(cmd->kind),
                 why);
    else if (agora_ctl_set_data(&c, e.data, (uint32_t)e.len) == AGORA_OK)
        send_ctl(m, &c, COOKIE(CK_SUBMIT, cmd->seq));
    agora_ctl_clear(&c);
    agora_buf_free(&e);
}

/* --- our own membership --------------------------------------------------------- */

static bool member_as_configured(const struct agd_members *m)
{
    const struct agora_sm *sm = agd_node_sm(m->n);
    const struct agora_member *me = agora_sm_member_find(sm, m->cfg->name);
    if (me == NULL)
        return false;
    /* the stored key is "type blob" (options none): compare those parts */
    char key[AGORA_SM_KEY_MAX + 1];
    snprintf(key, sizeof(key), "%s %s", me->key_type, me->key_blob);
    return strcmp(me->ip, m->cfg->ip) == 0 && strcasecmp(me->hostname, m->cfg->hostname) == 0 &&
           strncmp(m->cfg->ssh_key, key, strlen(key)) == 0;
}

static void join_self(struct agd_members *m, agora_time_t now, bool holds)
{
    const struct agora_sm *sm = agd_node_sm(m->n);
    if (m->leave_deadline != 0 || now < m->next_submit || member_as_configured(m))
        return;
    /* a decided request that left us out (expired since, or rejected):
     * a new one needs a new seq */
    if (m->join_seq == 0 || agora_sm_last_seq(sm, m->cfg->name) >= m->join_seq)
        m->join_seq = realtime_us();
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_MEMBER_JOIN;
    c.origin = m->cfg->name;
    c.seq = m->join_seq;
    c.u.join.id = m->cfg->name;
    c.u.join.hostname = m->cfg->hostname;
    c.u.join.ip = m->cfg->ip;
    c.u.join.sshkey = m->cfg->ssh_key;
    c.u.join.kind = AGORA_MEMBER_HOST;
    agd_logp(AGD_INFO, m->prefix, "%s our membership (seq %" PRIu64 ")",
             holds ? "proposing" : "requesting", c.seq);
    request(m, &c, holds);
    agora_time_t hb = (agora_time_t)m->cfg->heartbeat_ms * AGORA_MS;
    m->next_submit = now + (2 * hb > AGORA_SEC ? 2 * hb : AGORA_SEC);
}

bool agd_members_leave(struct agd_members *m, agora_time_t now, bool holds)
{
    const struct agora_sm *sm = agd_node_sm(m->n);
    if (agora_sm_member_find(sm, m->cfg->name) == NULL)
        return true;
    if (m->leave_deadline == 0)
        m->leave_deadline = now + 3 * (agora_time_t)m->cfg->heartbeat_ms * AGORA_MS + AGORA_SEC;
    if (now >= m->leave_deadline) {
        agd_logp(AGD_WARNING, m->prefix, "leaving: not confirmed in time; going anyway");
        return true;
    }
    if (now >= m->next_submit) {
        if (m->leave_seq == 0)
            m->leave_seq = realtime_us();
        struct agora_cmd c;
        agora_cmd_init(&c);
        c.kind = AGORA_CMD_MEMBER_LEAVE;
        c.origin = m->cfg->name;
        c.seq = m->leave_seq;
        c.u.leave.id = m->cfg->name;
        agd_logp(AGD_NOTICE, m->prefix, "leaving the membership");
        request(m, &c, holds);
        m->next_submit = now + (agora_time_t)m->cfg->heartbeat_ms * AGORA_MS;
    }
    return false;
}

/* --- the leader: poll, expire, queued requests ------------------------------------- */

/* True if key was proposed within RECENT_NS; records it otherwise. */
static bool recently(struct agd_members *m, const char *key, agora_time_t now)
{
    struct recent *free_slot = NULL;
    for (size_t i = 0; i < MAX_RECENT; i++) {
        struct recent *r = &m->recent[i];
        if (r->until > now && strcmp(r->key, key) == 0)
            return true;
        if (r->until <= now && free_slot == NULL)
            free_slot = r;
    }
    if (free_slot != NULL) {
        snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
        free_slot->until = now + RECENT_NS;
    }
    return false;
}

static struct seen *find_seen(struct agd_members *m, const char *id, bool add)
{
    for (size_t i = 0; i < m->n_seen; i++)
        if (strcmp(m->seen[i].id, id) == 0)
            return &m->seen[i];
    if (!add || m->n_seen >= MAX_SEEN)
        return NULL;
    struct seen *s = realloc(m->seen, (m->n_seen + 1) * sizeof(*s));
    if (s == NULL)
        return NULL;
    m->seen = s;
    s = &m->seen[m->n_seen++];
    snprintf(s->id, sizeof(s->id), "%s", id);
    s->t = 0;
    return s;
}

static void expire_silent(struct agd_members *m, agora_time_t now)
{
    const struct agora_sm *sm = agd_node_sm(m->n);
    agora_time_t ttl = (agora_time_t)m->cfg->member_ttl_ms * AGORA_MS;
    char key[AGORA_SM_ID_MAX + 16];
    for (size_t i = 0; i < agora_sm_member_count(sm); i++) {
        const struct agora_member *mb = agora_sm_member_at(sm, i);
        if (mb->kind != AGORA_MEMBER_HOST || strcmp(mb->id, m->cfg->name) == 0)
            continue;
        struct seen *s = find_seen(m, mb->id, false);
        /* the bricks' ages are evidence whoever led when they were taken */
        agora_time_t last = s != NULL && s->t != 0 ? s->t : m->office;
        snprintf(key, sizeof(key), "expire:%s", mb->id);
        if (now - last <= ttl || recently(m, key, now))
            continue;
        agd_logp(AGD_NOTICE, m->prefix, "member %s expired: not seen for %" PRIu64 " ms "
                 "(ttl %u ms)", mb->id, (now - last) / AGORA_MS, m->cfg->member_ttl_ms);
        struct agora_cmd c;
        agora_cmd_init(&c);
        c.kind = AGORA_CMD_MEMBER_EXPIRE;
        c.u.leave.id = mb->id;
        int rc = agd_node_propose(m->n, &c);
        if (rc != AGORA_OK)
            agd_logp(AGD_WARNING, m->prefix, "cannot propose the expiry of %s: %s", mb->id,
                     agora_strerror(rc));
    }
}

static void poll_bricks(struct agd_members *m)
{
    struct agora_ctl c;
    agora_ctl_init(&c);
    c.type = AGORA_CTL_POLL;
    c.ballot = agd_node_proposer(m->n)->ballot;
    send_ctl(m, &c, COOKIE(CK_POLL, ++m->poll_round));
}

agora_time_t agd_members_turn(struct agd_members *m, agora_time_t now, bool holds)
{
    agora_time_t hb = (agora_time_t)m->cfg->heartbeat_ms * AGORA_MS;
    if (now >= m->next_beat) {
        heartbeat(m);
        m->next_beat = now + hb;
    }
    if (!holds) {
        m->office = 0;
    } else if (m->office == 0) {
        m->office = now;
        m->next_poll = now;
    }
    join_self(m, now, holds);
    if (holds && now >= m->next_poll) {
        poll_bricks(m);
        m->next_poll = now + hb;
    }
    if (holds)
        expire_silent(m, now);
    agora_time_t next = m->next_beat;
    if (holds && m->next_poll < next)
        next = m->next_poll;
    if (m->next_submit > now && m->next_submit < next && !member_as_configured(m))
        next = m->next_submit;
    return next;
}

/* One queued request from a brick's registers: proposed once (the state
 * machine applies it at most once by origin and seq). */
static void take_queued(struct agd_members *m, const struct agora_ctl_queued *q,
                        agora_time_t now)
{
    struct agora_cmd c;
    char why[256], key[sizeof(((struct recent *)0)->key)];
    if (agora_cmd_decode(&c, q->data, q->len, why, sizeof(why)) != AGORA_OK)
        return; /* the brick checked it: cannot happen */
    const struct agora_sm *sm = agd_node_sm(m->n);
    const char *origin = c.origin != NULL ? c.origin : "";
    snprintf(key, sizeof(key), "q:%s:%" PRIu64, origin, c.seq);
    if (c.kind == AGORA_CMD_LEADER || agora_sm_last_seq(sm, origin) >= c.seq ||
        recently(m, key, now)) {
        agora_cmd_clear(&c);
        return;
    }
    int rc = agora_sm_check(sm, &c, why, sizeof(why));
    if (rc != AGORA_OK)
        agd_logp(AGD_WARNING, m->prefix, "queued %s from %s (seq %" PRIu64 ") will be "
                 "rejected: %s", agora_cmd_kind_name(c.kind), origin, c.seq, why);
    else
        agd_logp(AGD_INFO, m->prefix, "proposing the queued %s from %s (seq %" PRIu64 ")",
                 agora_cmd_kind_name(c.kind), origin, c.seq);
    /* proposed even when it will be rejected: a decision takes it off the
     * bricks' queues */
    rc = agd_node_propose(m->n, &c);
    if (rc != AGORA_OK)
        agd_logp(AGD_WARNING, m->prefix, "cannot propose a queued request: %s",
                 agora_strerror(rc));
    agora_cmd_clear(&c);
}

static void on_registers(struct agd_members *m, const struct agora_ctl *c)
{
    agora_time_t now = agd_loop_now(agd_node_loop(m->n));
    if (m->office == 0)
        return;
    for (uint32_t i = 0; i < c->n_members; i++) {
        struct seen *s = find_seen(m, c->members[i].id, true);
        agora_time_t t = c->members[i].age < now ? now - c->members[i].age : 0;
        if (s != NULL && t > s->t)
            s->t = t;
    }
    for (uint32_t i = 0; i < c->n_queued; i++)
        take_queued(m, &c->queued[i], now);
}

void agd_members_on_reply(struct agd_members *m, const struct agd_reply *r)
{
    struct agora_ctl c;
    if (r->status != AGD_TR_OK || agora_ctl_decode(r->data, r->len, &c) != AGORA_OK)
        return;
    unsigned type = (unsigned)(r->cookie >> 56);
    if (c.type == AGORA_CTL_REGISTERS && type == CK_POLL) {
        on_registers(m, &c);
    } else if (c.type == AGORA_CTL_ACK && c.status == AGORA_CTL_INVALID && !m->invalid_logged) {
        m->invalid_logged = true;
        agd_logp(AGD_WARNING, m->prefix, "brick %u refused our %s: %s", r->acceptor,
                 type == CK_BEAT ? "heartbeat" : "request", c.text ? c.text : "");
    } else if (c.type == AGORA_CTL_ACK && c.status == AGORA_CTL_FENCED) {
        agd_logp(AGD_INFO, m->prefix, "brick %u fenced our poll (promised %" PRIu64 ".%" PRIu32
                 ")", r->acceptor, c.ballot.round, c.ballot.node);
    }
    agora_ctl_clear(&c);
    agd_node_poke(m->n);
}
