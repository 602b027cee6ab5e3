/* ctl_views.c: agoractl's read-only subcommands over the bricks: status,
 * members, log, hosts, keys (agoractl(8)). With --mount DIR, members,
 * hosts, keys and status read /.agora/ of a mount instead (ctl_mount.c). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agora/render.h"
#include "ctl_bricks.h"

struct brick_status {
    bool ok;
    uint32_t holder;
    uint64_t left_ms, commit, applied;
    struct agora_ballot promised;
};

static void print_json(json_t *v)
{
    json_dumpf(v, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(v);
}

static void read_status(const struct ctl_reply *r, struct brick_status *s)
{
    struct agora_ctl m;
    memset(s, 0, sizeof(*s));
    if (r->status != AGD_TR_OK || agora_ctl_decode(r->data, r->len, &m) != AGORA_OK)
        return;
    json_t *j = m.type == AGORA_CTL_STATUS_REPLY ? json_loadb((const char *)m.data, m.len, 0, NULL)
                                                  : NULL;
    agora_ctl_clear(&m);
    if (j == NULL)
        return;
    json_t *acc = json_object_get(j, "acceptor"), *lease = json_object_get(j, "lease");
    json_t *pr = json_object_get(acc, "promised");
    s->promised.round = (uint64_t)json_integer_value(json_object_get(pr, "round"));
    s->promised.node = (uint32_t)json_integer_value(json_object_get(pr, "node"));
    s->commit = (uint64_t)json_integer_value(json_object_get(acc, "commit"));
    s->applied = (uint64_t)json_integer_value(json_object_get(j, "applied"));
    s->holder = (uint32_t)json_integer_value(json_object_get(lease, "holder"));
    s->left_ms = (uint64_t)json_integer_value(json_object_get(lease, "left_ms"));
    s->ok = true;
    json_decref(j);
}

/* Member ages from every brick's registers (POLL at the highest promise):
 * min age in ms per member id, in an object. */
static json_t *member_ages(struct ctl_conn *c, struct agora_ballot b)
{
    json_t *ages = json_object();
    struct agora_ctl q;
    agora_ctl_init(&q);
    q.type = AGORA_CTL_POLL;
    q.ballot = b;
    ctl_call_ctl(c, &q, CTL_TIMEOUT_MS);
    for (uint32_t i = 0; i < c->tr->n; i++) {
        struct agora_ctl m;
        if (c->r[i].status != AGD_TR_OK || agora_ctl_decode(c->r[i].data, c->r[i].len, &m))
            continue;
        for (uint32_t k = 0; m.type == AGORA_CTL_REGISTERS && k < m.n_members; k++) {
            json_int_t ms = (json_int_t)(m.members[k].age / AGORA_MS);
            json_t *old = json_object_get(ages, m.members[k].id);
            if (old == NULL || json_integer_value(old) > ms)
                json_object_set_new(ages, m.members[k].id, json_integer(ms));
        }
        agora_ctl_clear(&m);
    }
    return ages;
}

static json_t *members_array(const struct ctl_conn *c, const struct agora_sm *sm, json_t *ages)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < agora_sm_member_count(sm); i++) {
        const struct agora_member *m = agora_sm_member_at(sm, i);
        json_t *age = json_object_get(ages, m->id);
        bool alive = m->kind == AGORA_MEMBER_CONTAINER ||
                     (age != NULL && json_integer_value(age) <= (json_int_t)c->cfg.member_ttl_ms);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", m->id, "host", m->hostname,
                              "ip", m->ip, "kind", agora_member_kind_name(m->kind), "alive",
                              alive);
        json_object_set_new(o, "heartbeat_ms_ago", age != NULL ? json_copy(age) : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

/* The lease as a quorum of bricks sees it: the holder named by a majority,
 * and the time it is still valid at a majority. */
static uint32_t quorum_lease(const struct brick_status *s, uint32_t n, uint64_t *left)
{
    uint32_t q = n / 2 + 1;
    *left = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!s[i].ok || s[i].holder == 0 || s[i].left_ms == 0)
            continue;
        uint64_t lefts[AGD_MAX_BRICKS];
        uint32_t k = 0;
        for (uint32_t j = 0; j < n; j++)
            if (s[j].ok && s[j].holder == s[i].holder && s[j].left_ms > 0)
                lefts[k++] = s[j].left_ms;
        if (k < q)
            continue;
        for (uint32_t a = 0; a < k; a++) /* descending */
            for (uint32_t b = a + 1; b < k; b++)
                if (lefts[b] > lefts[a]) {
                    uint64_t t = lefts[a];
                    lefts[a] = lefts[b];
                    lefts[b] = t;
                }
        *left = lefts[q - 1];
        return s[i].holder;
    }
    return 0;
}

static json_t *leader_json(const struct agora_sm *sm, uint32_t holder)
{
    struct agora_sm_leader l = agora_sm_leader(sm);
    if (holder == 0)
        return json_null();
    if (l.ballot.node == holder && l.id[0] != '\0')
        return json_string(l.id);
    char buf[32];
    snprintf(buf, sizeof(buf), "node-%" PRIu32, holder);
    return json_string(buf);
}

static json_t *bricks_array(const struct ctl_conn *c, const struct brick_status *s,
                            uint64_t commit)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < c->tr->n; i++) {
        struct agd_brick_info bi;
        c->tr->ops->info(c->tr, i, &bi);
        json_t *o = json_pack("{s:s, s:b}", "name", bi.name, "reachable", s[i].ok);
        json_object_set_new(o, "lag", s[i].ok ? json_integer((json_int_t)(commit > s[i].applied
                                                     ? commit - s[i].applied : 0))
                                              : json_null());
        json_object_set_new(o, "commit", s[i].ok ? json_integer((json_int_t)s[i].commit)
                                                 : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

static void print_status(json_t *st)
{
    json_t *l = json_object_get(st, "leader");
    printf("leader:        %s\nballot:        %s\nlease left:    %" JSON_INTEGER_FORMAT
           " ms\ncommit index:  %" JSON_INTEGER_FORMAT "\n\nmembers:\n",
           json_is_string(l) ? json_string_value(l) : "(none)",
           json_string_value(json_object_get(st, "ballot")),
           json_integer_value(json_object_get(st, "lease_ms_left")),
           json_integer_value(json_object_get(st, "commit_index")));
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(st, "members"), i, m)
        printf("  %-20s %-28s %-16s %-9s %s\n", json_string_value(json_object_get(m, "id")),
               json_string_value(json_object_get(m, "host")),
               json_string_value(json_object_get(m, "ip")),
               json_string_value(json_object_get(m, "kind")),
               json_is_true(json_object_get(m, "alive")) ? "alive" : "silent");
    printf("\nbricks:\n");
    json_array_foreach(json_object_get(st, "bricks"), i, m) {
        json_t *lag = json_object_get(m, "lag");
        printf("  %-60s %s", json_string_value(json_object_get(m, "name")),
               json_is_true(json_object_get(m, "reachable")) ? "reachable" : "UNREACHABLE");
        if (json_is_integer(lag))
            printf(", lag %" JSON_INTEGER_FORMAT, json_integer_value(lag));
        putchar('\n');
    }
}

int ctl_status_bricks(const struct ctl_opts *o, struct ctl_conn *c)
{
    struct brick_status s[AGD_MAX_BRICKS];
    struct agora_ctl q;
    agora_ctl_init(&q);
    q.type = AGORA_CTL_STATUS;
    ctl_call_ctl(c, &q, CTL_TIMEOUT_MS);
    struct agora_ballot top = {0, 0};
    uint64_t commit = 0;
    for (uint32_t i = 0; i < c->tr->n; i++) {
        read_status(&c->r[i], &s[i]);
        if (s[i].ok && agora_ballot_cmp(s[i].promised, top) > 0)
            top = s[i].promised;
        if (s[i].ok && s[i].commit > commit)
            commit = s[i].commit;
    }
    struct agora_sm sm;
    agora_sm_init(&sm);
    uint64_t learned = 0;
    int rc = ctl_learn(c, &sm, &learned);
    uint64_t left;
    uint32_t holder = quorum_lease(s, c->tr->n, &left);
    char ballot[48];
    snprintf(ballot, sizeof(ballot), "%" PRIu64 ".%" PRIu32, top.round, top.node);
    json_t *st = json_object();
    json_object_set_new(st, "leader", leader_json(&sm, holder));
    json_object_set_new(st, "ballot", json_string(ballot));
    json_object_set_new(st, "lease_ms_left", json_integer((json_int_t)left));
    json_object_set_new(st, "commit_index", json_integer((json_int_t)commit));
    json_object_set_new(st, "applied_index", json_integer((json_int_t)agora_sm_applied(&sm)));
    json_object_set_new(st, "members", members_array(c, &sm, member_ages(c, top)));
    json_object_set_new(st, "bricks", bricks_array(c, s, commit));
    agora_sm_free(&sm);
    if (o->json)
        print_json(st);
    else {
        print_status(st);
        json_decref(st);
    }
    return rc != CTL_OK ? rc : holder == 0 ? CTL_NO_LEADER : CTL_OK;
}

int ctl_members_bricks(const struct ctl_opts *o, struct ctl_conn *c)
{
    struct agora_sm sm;
    uint64_t commit;
    agora_sm_init(&sm);
    int rc = ctl_learn(c, &sm, &commit);
    if (rc != CTL_OK) {
        fprintf(stderr, "agoractl: no brick answered\n");
        agora_sm_free(&sm);
        return rc;
    }
    struct agora_ctl q;
    agora_ctl_init(&q);
    q.type = AGORA_CTL_STATUS;
    ctl_call_ctl(c, &q, CTL_TIMEOUT_MS);
    struct agora_ballot top = {0, 0};
    for (uint32_t i = 0; i < c->tr->n; i++) {
        struct brick_status s;
        read_status(&c->r[i], &s);
        if (s.ok && agora_ballot_cmp(s.promised, top) > 0)
            top = s.promised;
    }
    json_t *arr = members_array(c, &sm, member_ages(c, top));
    agora_sm_free(&sm);
    if (o->json) {
        print_json(arr);
        return CTL_OK;
    }
    size_t i;
    json_t *m;
    printf("%-20s %-28s %-16s %-9s %s\n", "ID", "HOST", "IP", "KIND", "STATE");
    json_array_foreach(arr, i, m)
        printf("%-20s %-28s %-16s %-9s %s\n", json_string_value(json_object_get(m, "id")),
               json_string_value(json_object_get(m, "host")),
               json_string_value(json_object_get(m, "ip")),
               json_string_value(json_object_get(m, "kind")),
               json_is_true(json_object_get(m, "alive")) ? "alive" : "silent");
    json_decref(arr);
    return CTL_OK;
}

/* hosts / keys: rendered from the learned state, as /.agora/ has them. */
int ctl_render_bricks(const struct ctl_opts *o, struct ctl_conn *c, const char *file)
{
    struct agora_sm sm;
    struct agora_buf out;
    uint64_t commit;
    agora_sm_init(&sm);
    agora_buf_init(&out);
    int rc = ctl_learn(c, &sm, &commit);
    if (rc == CTL_OK && agora_render_file(&sm, file, &out) != AGORA_OK)
        rc = CTL_FAIL;
    agora_sm_free(&sm);
    if (rc != CTL_OK) {
        fprintf(stderr, "agoractl: cannot read %s from the bricks\n", file);
        agora_buf_free(&out);
        return rc;
    }
    if (!o->json) {
        fwrite(out.data, 1, out.len, stdout);
    } else {
        json_t *arr = json_array();
        char *text = strndup((const char *)out.data, out.len);
        for (char *save, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            if (l[0] != '#')
                json_array_append_new(arr, json_string(l));
        free(text);
        print_json(arr);
    }
    agora_buf_free(&out);
    return CTL_OK;
}
