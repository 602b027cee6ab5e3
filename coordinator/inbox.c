/* inbox.c: the leader's side of the registration inbox (inbox.h): turns a
 * scan into proposals and verdicts. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora/sm.h"
#include "inbox.h"
#include "inbox_io.h"
#include "inbox_req.h"
#include "log.h"
#include "node.h"

#define RECENT 256

struct agd_inbox {
    struct agd_node *n;
    const char *prefix;
    struct agd_inbox_io *io;
    int efd;
    agora_time_t every, next_scan;
    bool error_logged;
    struct {
        char origin[AGORA_SM_ID_MAX + 1];
        uint64_t seq;
        agora_time_t until;
    } recent[RECENT];           /* proposed lately: not again before `until` */
};

static void origin_of(const char *name, char *out, size_t len)
{
    snprintf(out, len, "inbox:%s", name);
}

/* Proposes cmd unless the same (origin, seq) went out in the last 2 s. */
static void propose_once(struct agd_inbox *ib, const struct agora_cmd *c, agora_time_t now)
{
    int free_slot = -1;
    for (int i = 0; i < RECENT; i++) {
        if (ib->recent[i].until > now && ib->recent[i].seq == c->seq &&
            strcmp(ib->recent[i].origin, c->origin) == 0)
            return;
        if (ib->recent[i].until <= now && free_slot < 0)
            free_slot = i;
    }
    int rc = agd_node_propose(ib->n, c);
    if (rc != AGORA_OK) {
        agd_logp(AGD_WARNING, ib->prefix, "inbox: cannot propose for %s: %s", c->origin,
                 agora_strerror(rc));
        return;
    }
    if (free_slot >= 0) {
        snprintf(ib->recent[free_slot].origin, sizeof(ib->recent[0].origin), "%s", c->origin);
        ib->recent[free_slot].seq = c->seq;
        ib->recent[free_slot].until = now + 2 * AGORA_SEC;
    }
}

/* Writes NAME.verdict unless it says that already; returns 0. */
static int verdict(struct agd_inbox *ib, const struct agd_inbox_file *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int verdict(struct agd_inbox *ib, const struct agd_inbox_file *f, const char *fmt, ...)
{
    char text[AGD_INBOX_VERDICT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text) - 1, fmt, ap);
    va_end(ap);
    strcat(text, "\n");
    if (f->verdict != NULL && strcmp(f->verdict, text) == 0)
        return 0;
    char esc[AGD_INBOX_VERDICT_MAX * 2];
    agd_log_escape(text, esc, sizeof(esc));
    agd_logp(AGD_NOTICE, ib->prefix, "inbox: %s: %s", f->name, esc);
    agd_inbox_io_verdict(ib->io, f->name, text);
    return 0;
}

/* The request was decided already (same origin and seq). */
static int decided(struct agd_inbox *ib, const struct agd_inbox_file *f,
                    const struct agd_inbox_req *r)
{
    const struct agora_member *m = agora_sm_member_find(agd_node_sm(ib->n), f->name);
    if (m != NULL && m->kind == AGORA_MEMBER_CONTAINER)
        return verdict(ib, f, "accepted: member %s (container), host %s, ip %s, seq %" PRIu64, m->id,
                m->hostname, m->ip, r->seq);
    return verdict(ib, f, "rejected: seq %" PRIu64 " was decided and %s is not a member now; "
                "raise seq to register again", r->seq, f->name);
}

static int one_request(struct agd_inbox *ib, const struct agd_inbox_file *f, agora_time_t now)
{
    const struct agora_sm *sm = agd_node_sm(ib->n);
    char why[512], origin[AGORA_SM_ID_MAX + 8];
    struct agd_inbox_req r;
    if (agd_inbox_name_ok(f->name, why, sizeof(why)) != 0)
        return verdict(ib, f, "rejected: %s", why);
    if (!f->regular)
        return verdict(ib, f, "rejected: not a regular file");
    if (f->text == NULL && f->len > AGD_INBOX_REQ_MAX)
        return verdict(ib, f, "rejected: the request is larger than %u bytes", AGD_INBOX_REQ_MAX);
    if (f->text == NULL)
        return 0; /* unreadable now: try again at the next scan */
    if (agd_inbox_parse(f->text, f->len, &r, why, sizeof(why)) != 0)
        return verdict(ib, f, "rejected: %s", why);
    origin_of(f->name, origin, sizeof(origin));
    if (agora_sm_last_seq(sm, origin) >= r.seq)
        return decided(ib, f, &r);
    const struct agora_member *m = agora_sm_member_find(sm, f->name);
    if (m != NULL && (m->kind != AGORA_MEMBER_CONTAINER || agora_sm_last_seq(sm, origin) == 0))
        return verdict(ib, f, "rejected: the name %s is taken by a %s member that did not "
                       "register through the inbox", f->name, agora_member_kind_name(m->kind));
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_MEMBER_JOIN;
    c.origin = origin;
    c.seq = r.seq;
    c.u.join.id = f->name;
    c.u.join.hostname = r.host;
    c.u.join.ip = r.ip;
    c.u.join.sshkey = r.key;
    c.u.join.kind = AGORA_MEMBER_CONTAINER;
    if (agora_sm_check(sm, &c, why, sizeof(why)) != AGORA_OK)
        return verdict(ib, f, "rejected: %s", why);
    propose_once(ib, &c, now);
    return 0;
}

/* Members the inbox registered whose request file is gone: they leave. */
static void removed(struct agd_inbox *ib, const struct agd_inbox_scan *s, agora_time_t now)
{
    const struct agora_sm *sm = agd_node_sm(ib->n);
    char origin[AGORA_SM_ID_MAX + 8];
    for (size_t i = 0; i < agora_sm_member_count(sm); i++) {
        const struct agora_member *m = agora_sm_member_at(sm, i);
        origin_of(m->id, origin, sizeof(origin));
        uint64_t last = agora_sm_last_seq(sm, origin);
        struct agd_inbox_file key = {.name = m->id};
        if (m->kind != AGORA_MEMBER_CONTAINER || last == 0 ||
            bsearch(&key, s->f, s->n, sizeof(*s->f), agd_inbox_file_cmp) != NULL)
            continue;
        agd_logp(AGD_NOTICE, ib->prefix, "inbox: %s: request removed: member leaves", m->id);
        struct agora_cmd c;
        agora_cmd_init(&c);
        c.kind = AGORA_CMD_MEMBER_LEAVE;
        c.origin = origin;
        c.seq = last + 1;
        c.u.leave.id = m->id;
        propose_once(ib, &c, now);
    }
    for (size_t i = 0; i < s->n_orphans; i++)
        agd_inbox_io_verdict(ib->io, s->orphans[i], NULL);
}

static void on_scan(struct agd_loop *l, int fd, short revents, void *ctx)
{
    struct agd_inbox *ib = ctx;
    (void)l;
    (void)fd;
    (void)revents;
    struct agd_inbox_scan *s = agd_inbox_io_take(ib->io);
    agora_time_t now = agd_loop_now(agd_node_loop(ib->n));
    if (s == NULL || !agd_node_holds_lease(ib->n)) {
        agd_inbox_scan_free(s);
        return;
    }
    if (!s->ok) {
        if (!ib->error_logged)
            agd_logp(AGD_WARNING, ib->prefix, "inbox: %s", s->err);
        ib->error_logged = true;
    } else {
        ib->error_logged = false;
        for (size_t i = 0; i < s->n; i++)
            one_request(ib, &s->f[i], now);
        removed(ib, s, now);
    }
    agd_inbox_scan_free(s);
}

int agd_inbox_new(struct agd_node *n, const char *dir, struct agd_inbox **out)
{
    struct agd_inbox *ib = calloc(1, sizeof(*ib));
    if (ib == NULL)
        return -1;
    ib->n = n;
    ib->prefix = agd_node_prefix(n);
    agora_time_t hb = (agora_time_t)agd_node_config(n)->heartbeat_ms * AGORA_MS;
    ib->every = 2 * hb > 500 * AGORA_MS ? 2 * hb : 500 * AGORA_MS;
    ib->io = agd_inbox_io_new(dir, &ib->efd);
    if (ib->io == NULL || agd_loop_add_fd(agd_node_loop(n), ib->efd, POLLIN, on_scan, ib) != 0) {
        agd_inbox_io_free(ib->io);
        free(ib);
        return -1;
    }
    *out = ib;
    return 0;
}

void agd_inbox_free(struct agd_inbox *ib)
{
    if (ib == NULL)
        return;
    agd_loop_del_fd(agd_node_loop(ib->n), ib->efd);
    agd_inbox_io_free(ib->io);
    free(ib);
}

agora_time_t agd_inbox_turn(struct agd_inbox *ib, agora_time_t now, bool leading)
{
    if (!leading)
        return UINT64_MAX;
    if (now >= ib->next_scan) {
        agd_inbox_io_scan(ib->io);
        ib->next_scan = now + ib->every;
    }
    return ib->next_scan;
}
