/* client_api_req.c: the client API's requests (client_api.h): parse a
 * line, check it, propose it as the leader, and answer once the node
 * applied its slot (matched by origin and seq), or at once with an error. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_api_int.h"
#include "log.h"

json_t *api_error(const char *code, const char *msg)
{
    return json_pack("{s:b, s:s, s:s}", "ok", 0, "error", code, "message", msg);
}

/* "origin" and "seq" echoed into an answer. */
static json_t *tagged(json_t *o, const char *origin, uint64_t seq)
{
    if (o != NULL && origin != NULL) {
        json_object_set_new(o, "origin", json_string(origin));
        json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    }
    return o;
}

/* Where a client should go: the last leader the log names, and the node
 * id of the lease holder the bricks report (0: none known). */
static json_t *not_leader(struct agd_client_api *a, const char *code, const char *msg)
{
    json_t *o = api_error(code, msg);
    struct agora_sm_leader l = agora_sm_leader(agd_node_sm(a->n));
    const struct agora_proposer *p = agd_node_proposer(a->n);
    uint32_t holder = p->role == AGORA_LEADER ? p->cfg.id : p->lease_holder_seen;
    if (o != NULL) {
        json_object_set_new(o, "leader", *l.id != '\0' ? json_string(l.id) : json_null());
        json_object_set_new(o, "leader_node", json_integer(holder));
    }
    return o;
}

/* --- pending requests ------------------------------------------------------------ */

static int pend_add(struct agd_client_api *a, struct api_conn *c, const char *origin,
                    uint64_t seq)
{
    if (a->n_pend == a->cap_pend) {
        size_t cap = a->cap_pend ? 2 * a->cap_pend : 16;
        struct api_pending *p = realloc(a->pend, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        a->pend = p;
        a->cap_pend = cap;
    }
    struct api_pending *p = &a->pend[a->n_pend++];
    p->c = c;
    snprintf(p->origin, sizeof(p->origin), "%s", origin);
    p->seq = seq;
    p->deadline = agd_loop_now(a->loop) + (agora_time_t)AGD_API_TIMEOUT_MS * AGORA_MS;
    c->pending++;
    return 0;
}

static void pend_remove(struct agd_client_api *a, size_t i)
{
    a->pend[i].c->pending--;
    a->pend[i] = a->pend[--a->n_pend];
}

void api_drop_pending(struct agd_client_api *a, const struct api_conn *c)
{
    for (size_t i = 0; i < a->n_pend;)
        if (a->pend[i].c == c)
            pend_remove(a, i);
        else
            i++;
}

/* Answers every pending request that `match` selects with a copy of ans
 * (tagged with its origin and seq); takes ans. */
static void answer_where(struct agd_client_api *a, json_t *ans,
                         bool (*match)(const struct api_pending *, const void *), const void *arg)
{
    for (size_t i = 0; i < a->n_pend;) {
        struct api_pending p = a->pend[i];
        if (!match(&p, arg)) {
            i++;
            continue;
        }
        pend_remove(a, i);
        /* api_send may close p.c, which drops its other pending requests:
         * start over (the list is short) */
        api_send(a, p.c, tagged(json_deep_copy(ans), p.origin, p.seq));
        i = 0;
    }
    json_decref(ans);
}

struct key {
    const char *origin;
    uint64_t seq;
};

static bool match_key(const struct api_pending *p, const void *arg)
{
    const struct key *k = arg;
    return p->seq == k->seq && strcmp(p->origin, k->origin) == 0;
}

static bool match_all(const struct api_pending *p, const void *arg)
{
    (void)p;
    (void)arg;
    return true;
}

static bool match_late(const struct api_pending *p, const void *arg)
{
    return p->deadline <= *(const agora_time_t *)arg;
}

void api_on_applied(void *ctx, uint64_t slot, const struct agora_cmd *cmd, int rc,
                    const char *why)
{
    struct agd_client_api *a = ctx;
    if (a->n_pend == 0 || cmd == NULL || cmd->seq == 0 || cmd->origin == NULL)
        return;
    json_t *ans;
    if (rc == AGORA_OK)
        ans = json_pack("{s:b, s:I}", "ok", 1, "index", (json_int_t)slot);
    else if (rc == AGORA_ESTALE)
        ans = json_pack("{s:b, s:b}", "ok", 1, "duplicate", 1);
    else if ((ans = api_error("rejected", why)) != NULL)
        json_object_set_new(ans, "index", json_integer((json_int_t)slot));
    struct key k = {cmd->origin, cmd->seq};
    answer_where(a, ans, match_key, &k);
}

void api_on_turn(void *ctx, agora_time_t now, bool leading)
{
    struct agd_client_api *a = ctx;
    a->leading = leading;
    if (a->n_pend == 0)
        return;
    if (!leading)
        answer_where(a, not_leader(a, "lost_lease", "this agorad stopped leading before the "
                                   "request was decided: retry the same origin and seq"),
                     match_all, NULL);
    else
        answer_where(a, api_error("timeout", "not decided in time: retry the same origin "
                                  "and seq"), match_late, &now);
}

/* --- requests ------------------------------------------------------------------------- */

/* A string field; NULL (and no error) when absent and optional. */
static int get_str(json_t *req, const char *key, bool required, const char **out, char *why,
                   size_t wl)
{
    json_t *v = json_object_get(req, key);
    *out = NULL;
    if (v == NULL) {
        if (required)
            snprintf(why, wl, "field '%s' missing", key);
        return required ? -1 : 0;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, wl, "field '%s' must be a string without NUL", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int check_fields(json_t *req, const char *const *known, char *why, size_t wl)
{
    const char *key;
    json_t *v;
    json_object_foreach(req, key, v) {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            char esc[64];
            agd_log_escape(key, esc, sizeof(esc));
            snprintf(why, wl, "unknown field '%s'", esc);
            return -1;
        }
    }
    return 0;
}

/* The command of a join or leave request; its strings point into req. */
static int build_cmd(json_t *req, bool join, struct agora_cmd *cmd, char *why, size_t wl)
{
    static const char *const jf[] = {"op", "origin", "seq", "id", "hostname", "ip", "key", NULL};
    static const char *const lf[] = {"op", "origin", "seq", "id", NULL};
    json_t *seq = json_object_get(req, "seq");
    agora_cmd_init(cmd);
    cmd->kind = join ? AGORA_CMD_MEMBER_JOIN : AGORA_CMD_MEMBER_LEAVE;
    if (check_fields(req, join ? jf : lf, why, wl) != 0 ||
        get_str(req, "origin", true, &cmd->origin, why, wl) != 0)
        return -1;
    if (strncmp(cmd->origin, AGD_API_ORIGIN_PREFIX, strlen(AGD_API_ORIGIN_PREFIX)) != 0) {
        snprintf(why, wl, "field 'origin' must start with \"" AGD_API_ORIGIN_PREFIX "\"");
        return -1;
    }
    if (!json_is_integer(seq) || json_integer_value(seq) < 1) {
        snprintf(why, wl, "field 'seq' must be an integer of at least 1");
        return -1;
    }
    cmd->seq = (uint64_t)json_integer_value(seq);
    if (!join)
        return get_str(req, "id", true, &cmd->u.leave.id, why, wl);
    cmd->u.join.kind = AGORA_MEMBER_CONTAINER;
    return get_str(req, "id", true, &cmd->u.join.id, why, wl) != 0 ||
                   get_str(req, "hostname", true, &cmd->u.join.hostname, why, wl) != 0 ||
                   get_str(req, "ip", true, &cmd->u.join.ip, why, wl) != 0 ||
                   get_str(req, "key", true, &cmd->u.join.sshkey, why, wl) != 0
               ? -1
               : 0;
}

/* Checks and proposes cmd; NULL once it is pending, else the answer. */
static json_t *submit(struct agd_client_api *a, struct api_conn *c, const struct agora_cmd *cmd)
{
    char why[512];
    const struct agora_sm *sm = agd_node_sm(a->n);
    if (agora_cmd_check_shape(cmd, why, sizeof(why)) != AGORA_OK)
        return api_error("bad_request", why);
    if (!a->leading || !agd_node_holds_lease(a->n))
        return not_leader(a, "not_leader", "this agorad does not lead: ask the leader's");
    uint64_t last = agora_sm_last_seq(sm, cmd->origin);
    if (cmd->seq <= last)
        return json_pack("{s:b, s:b, s:I}", "ok", 1, "duplicate", 1, "last_seq",
                         (json_int_t)last);
    if (agora_sm_check(sm, cmd, why, sizeof(why)) != AGORA_OK)
        return api_error("invalid", why);
    if (c->pending >= AGD_API_MAX_PENDING)
        return api_error("busy", "too many requests in flight on this connection");
    int rc = agd_node_propose(a->n, cmd);
    if (rc == AGORA_ENOTLEADER)
        return not_leader(a, "not_leader", "this agorad does not lead: ask the leader's");
    if (rc == AGORA_ETOOBIG)
        return api_error("busy", "too many entries in flight: retry");
    if (rc != AGORA_OK || pend_add(a, c, cmd->origin, cmd->seq) != 0)
        return api_error("internal", rc != AGORA_OK ? agora_strerror(rc) : "out of memory");
    return NULL;
}

/* The transport's view of each brick: reachable, requests sent, answered
 * and dropped (a full queue drops its oldest request). */
static json_t *bricks(struct agd_client_api *a)
{
    struct agd_transport *tr = agd_node_transport(a->n);
    json_t *arr = json_array();
    for (uint32_t i = 0; arr != NULL && i < tr->n; i++) {
        struct agd_brick_info bi;
        memset(&bi, 0, sizeof(bi));
        tr->ops->info(tr, i, &bi);
        json_array_append_new(arr, json_pack("{s:s, s:b, s:I, s:I, s:I}", "name", bi.name,
                                             "reachable", bi.reachable, "sent",
                                             (json_int_t)bi.sent, "answered",
                                             (json_int_t)bi.answered, "dropped",
                                             (json_int_t)bi.dropped));
    }
    return arr;
}

static json_t *status(struct agd_client_api *a)
{
    const struct agora_proposer *p = agd_node_proposer(a->n);
    const struct agd_config *cfg = agd_node_config(a->n);
    const struct agora_sm *sm = agd_node_sm(a->n);
    struct agora_sm_leader l = agora_sm_leader(sm);
    agora_time_t now = agd_loop_now(a->loop);
    bool holds = agd_node_holds_lease(a->n);
    char ballot[48];
    snprintf(ballot, sizeof(ballot), "%" PRIu64 ".%" PRIu32, p->ballot.round, p->ballot.node);
    return json_pack("{s:b, s:s, s:I, s:s, s:b, s:s?, s:I, s:s, s:I, s:I, s:I, s:I, s:o?}",
                     "ok", 1, "op", "status", "node", (json_int_t)cfg->id, "name", cfg->name,
                     "leading", holds, "leader", *l.id != '\0' ? l.id : NULL,
                     "leader_node", (json_int_t)(holds ? cfg->id : p->lease_holder_seen),
                     "ballot", ballot,
                     "lease_ms_left", (json_int_t)(holds ? (p->lease_end - now) / AGORA_MS : 0),
                     "commit", (json_int_t)p->commit,
                     "applied", (json_int_t)agora_sm_applied(sm),
                     "members", (json_int_t)agora_sm_member_count(sm), "bricks", bricks(a));
}

void api_handle_line(struct agd_client_api *a, struct api_conn *c, const char *line, size_t len)
{
    char why[512];
    json_error_t je;
    json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je), *ans = NULL;
    const char *op = NULL;
    if (req == NULL || !json_is_object(req)) {
        snprintf(why, sizeof(why), "not a JSON object: %s", req == NULL ? je.text : "");
        ans = api_error("bad_request", why);
    } else if (get_str(req, "op", true, &op, why, sizeof(why)) != 0) {
        ans = api_error("bad_request", why);
    } else if (strcmp(op, "status") == 0) {
        static const char *const sf[] = {"op", NULL};
        ans = check_fields(req, sf, why, sizeof(why)) == 0 ? status(a)
                                                           : api_error("bad_request", why);
    } else if (strcmp(op, "join") == 0 || strcmp(op, "leave") == 0) {
        struct agora_cmd cmd;
        if (build_cmd(req, op[0] == 'j', &cmd, why, sizeof(why)) != 0)
            ans = api_error("bad_request", why);
        else
            ans = tagged(submit(a, c, &cmd), cmd.origin, cmd.seq);
    } else {
        ans = api_error("bad_request", "field 'op' must be \"join\", \"leave\" or \"status\"");
    }
    if (ans != NULL)
        api_send(a, c, ans);
    json_decref(req);
}
