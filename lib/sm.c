/* sm.c: the replicated state machine: the state, the queries and apply
 * (DESIGN.md section 3; docs/state-machine.md, "Apply rules"); the checks
 * apply runs first are in sm_check.c.
 *
 * Apply is plan, reserve, commit. The plan checks the entry against the
 * state without touching it; the reserve step makes every allocation the
 * commit will need; the commit only moves pointers and cannot fail. So an
 * entry is applied completely, rejected completely, or (out of memory) not
 * applied at all: never half. Determinism: nothing here depends on anything
 * but the state and the entry (no clock, no address, no locale). */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sm_impl.h"

/* The binary searches read the key as the first field of each element. */
_Static_assert(offsetof(struct agora_member, id) == 0, "member id is the search key");
_Static_assert(offsetof(struct agora_task, id) == 0, "task id is the search key");
_Static_assert(offsetof(struct agora_sm_origin, origin) == 0, "origin is the search key");

/* Sorted by name: the snapshot writes them in this order. */
static const struct {
    const char *name;
    const char *dflt;
} CONFIG_KEYS[AGORA_CFG_COUNT] = {
    [AGORA_CFG_ALIAS_PREFIX] = {"alias_prefix", "cluster-"},
    [AGORA_CFG_ALLOW_KEY_OPTIONS] = {"allow_key_options", "false"},
    [AGORA_CFG_CLUSTER] = {"cluster", "up"},
    [AGORA_CFG_LEADER_ALIAS] = {"leader_alias", "leader"},
};

/* ---- small helpers ------------------------------------------------------- */

void agora_smi_say(char *why, size_t whylen, const char *fmt, ...)
{
    if (why == NULL || whylen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

const char *agora_smi_str(const char *s)
{
    return s != NULL ? s : "";
}

char *agora_smi_dup_str(const char *s)
{
    return agora_strndup(s, strlen(s));
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool agora_smi_valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AGORA_SM_ID_MAX || !is_alnum(s[0]))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (!is_alnum(s[i]) && strchr("._:@-", s[i]) == NULL)
            return false;
    }
    return true;
}

int agora_smi_config_index(const char *name)
{
    for (int i = 0; i < AGORA_CFG_COUNT; i++) {
        if (strcmp(CONFIG_KEYS[i].name, name) == 0)
            return i;
    }
    return -1;
}

/* Binary search in an array sorted by a leading `char *` key. */
static bool search(const void *base, size_t n, size_t size, const char *key, size_t *pos)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = *(char *const *)(const void *)((const char *)base + mid * size);
        int c = strcmp(k, key);
        if (c == 0) {
            *pos = mid;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return false;
}

bool agora_smi_find_member(const struct agora_sm *sm, const char *id, size_t *pos)
{
    return search(sm->members, sm->n_members, sizeof *sm->members, id, pos);
}

bool agora_smi_find_task(const struct agora_sm *sm, const char *id, size_t *pos)
{
    return search(sm->tasks, sm->n_tasks, sizeof *sm->tasks, id, pos);
}

static bool find_origin(const struct agora_sm *sm, const char *origin, size_t *pos)
{
    return search(sm->origins, sm->n_origins, sizeof *sm->origins, origin, pos);
}

void *agora_smi_grow(void *arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap && arr != NULL)
        return arr;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *p = agora_realloc(arr, ncap * size);
    if (p != NULL)
        *cap = ncap;
    return p;
}

void agora_smi_member_clear(struct agora_member *m)
{
    agora_free(m->id);
    agora_free(m->hostname);
    agora_free(m->ip);
    agora_free(m->key_options);
    agora_free(m->key_type);
    agora_free(m->key_blob);
    memset(m, 0, sizeof *m);
}

void agora_smi_task_clear(struct agora_task *t)
{
    agora_free(t->id);
    agora_free(t->group);
    agora_free(t->hostname);
    agora_free(t->ip);
    agora_free(t->image);
    agora_free(t->network);
    agora_free(t->spec);
    agora_free(t->agent_id);
    agora_free(t->message);
    memset(t, 0, sizeof *t);
}

/* ---- lifecycle ------------------------------------------------------------- */

void agora_sm_init(struct agora_sm *sm)
{
    memset(sm, 0, sizeof *sm);
}

void agora_sm_free(struct agora_sm *sm)
{
    for (size_t i = 0; i < sm->n_members; i++)
        agora_smi_member_clear(&sm->members[i]);
    for (size_t i = 0; i < sm->n_tasks; i++)
        agora_smi_task_clear(&sm->tasks[i]);
    for (size_t i = 0; i < sm->n_origins; i++)
        agora_free(sm->origins[i].origin);
    for (int i = 0; i < AGORA_CFG_COUNT; i++)
        agora_free(sm->config[i]);
    agora_free(sm->members);
    agora_free(sm->tasks);
    agora_free(sm->origins);
    agora_free(sm->leader_id);
    agora_free(sm->framework_id);
    agora_sm_init(sm);
}

/* ---- queries ------------------------------------------------------------------ */

uint64_t agora_sm_applied(const struct agora_sm *sm) { return sm->applied; }

const struct agora_sm_counters *agora_sm_counters(const struct agora_sm *sm)
{
    return &sm->counters;
}

size_t agora_sm_member_count(const struct agora_sm *sm) { return sm->n_members; }

const struct agora_member *agora_sm_member_at(const struct agora_sm *sm, size_t i)
{
    return i < sm->n_members ? &sm->members[i] : NULL;
}

const struct agora_member *agora_sm_member_find(const struct agora_sm *sm, const char *id)
{
    size_t pos;
    return agora_smi_find_member(sm, agora_smi_str(id), &pos) ? &sm->members[pos] : NULL;
}

size_t agora_sm_task_count(const struct agora_sm *sm) { return sm->n_tasks; }

const struct agora_task *agora_sm_task_at(const struct agora_sm *sm, size_t i)
{
    return i < sm->n_tasks ? &sm->tasks[i] : NULL;
}

const struct agora_task *agora_sm_task_find(const struct agora_sm *sm, const char *id)
{
    size_t pos;
    return agora_smi_find_task(sm, agora_smi_str(id), &pos) ? &sm->tasks[pos] : NULL;
}

struct agora_sm_leader agora_sm_leader(const struct agora_sm *sm)
{
    struct agora_sm_leader l = {
        .ballot = sm->leader_ballot,
        .id = agora_smi_str(sm->leader_id),
        .since = sm->leader_since,
    };
    return l;
}

const struct agora_member *agora_sm_leader_member(const struct agora_sm *sm)
{
    if (sm->leader_id == NULL)
        return NULL;
    return agora_sm_member_find(sm, sm->leader_id);
}

const char *agora_sm_framework_id(const struct agora_sm *sm)
{
    return agora_smi_str(sm->framework_id);
}

uint64_t agora_sm_last_seq(const struct agora_sm *sm, const char *origin)
{
    size_t pos;
    return find_origin(sm, agora_smi_str(origin), &pos) ? sm->origins[pos].seq : 0;
}

const char *agora_sm_config_name(enum agora_sm_config_key key)
{
    if ((int)key < 0 || key >= AGORA_CFG_COUNT)
        return NULL;
    return CONFIG_KEYS[key].name;
}

const char *agora_sm_config(const struct agora_sm *sm, enum agora_sm_config_key key)
{
    if ((int)key < 0 || key >= AGORA_CFG_COUNT)
        return NULL;
    return sm->config[key] != NULL ? sm->config[key] : CONFIG_KEYS[key].dflt;
}

bool agora_sm_allow_key_options(const struct agora_sm *sm)
{
    return strcmp(agora_sm_config(sm, AGORA_CFG_ALLOW_KEY_OPTIONS), "true") == 0;
}

bool agora_sm_cluster_down(const struct agora_sm *sm)
{
    return strcmp(agora_sm_config(sm, AGORA_CFG_CLUSTER), "down") == 0;
}

int agora_sm_alias(const struct agora_sm *sm, uint32_t n, char *out, size_t outlen)
{
    int w = snprintf(out, outlen, "%s%" PRIu32, agora_sm_config(sm, AGORA_CFG_ALIAS_PREFIX), n);
    return w < 0 || (size_t)w >= outlen ? AGORA_ETOOBIG : AGORA_OK;
}

/* ---- the exactly-once table ------------------------------------------------------------------ */

struct origin_plan {
    bool record;     /* (origin, seq) is recorded when the slot is applied */
    bool found;
    size_t pos;
    bool evict;      /* the table is full: drop evict_pos first */
    size_t evict_pos;
    char *copy;      /* the new origin string, made by reserve */
};

/* The oldest origin (lowest slot) that is not a live member's id. */
static bool pick_eviction(const struct agora_sm *sm, size_t *pos)
{
    bool any = false;
    for (size_t i = 0; i < sm->n_origins; i++) {
        size_t mpos;
        if (agora_smi_find_member(sm, sm->origins[i].origin, &mpos))
            continue;
        if (!any || sm->origins[i].slot < sm->origins[*pos].slot)
            *pos = i;
        any = true;
    }
    return any;
}

static int origin_plan(const struct agora_sm *sm, const struct agora_cmd *cmd,
                       struct origin_plan *op, char *why, size_t whylen)
{
    const char *origin = agora_smi_str(cmd->origin);
    if (cmd->seq == 0)
        return AGORA_OK;
    op->found = find_origin(sm, origin, &op->pos);
    if (op->found && cmd->seq <= sm->origins[op->pos].seq) {
        agora_smi_say(why, whylen, "request %s/%" PRIu64 " already applied (last seq %" PRIu64 ")",
                      origin, cmd->seq, sm->origins[op->pos].seq);
        return AGORA_ESTALE;
    }
    if (!op->found && sm->n_origins >= AGORA_SM_MAX_ORIGINS) {
        op->evict = pick_eviction(sm, &op->evict_pos);
        if (!op->evict) {
            agora_smi_say(why, whylen, "request %s/%" PRIu64 ": exactly-once table full",
                          origin, cmd->seq);
            return AGORA_ETOOBIG;
        }
    }
    op->record = true;
    return AGORA_OK;
}

static int origin_reserve(struct agora_sm *sm, const struct agora_cmd *cmd,
                          struct origin_plan *op)
{
    if (!op->record || op->found)
        return AGORA_OK;
    void *p = agora_smi_grow(sm->origins, &sm->cap_origins, sm->n_origins + 1,
                             sizeof *sm->origins);
    if (p == NULL)
        return AGORA_ENOMEM;
    sm->origins = p;
    op->copy = agora_smi_dup_str(agora_smi_str(cmd->origin));
    return op->copy != NULL ? AGORA_OK : AGORA_ENOMEM;
}

static void origin_commit(struct agora_sm *sm, struct origin_plan *op, uint64_t seq,
                          uint64_t slot)
{
    size_t pos;
    if (!op->record)
        return;
    if (op->found) {
        sm->origins[op->pos].seq = seq;
        sm->origins[op->pos].slot = slot;
        return;
    }
    if (op->evict) {
        agora_free(sm->origins[op->evict_pos].origin);
        memmove(&sm->origins[op->evict_pos], &sm->origins[op->evict_pos + 1],
                (sm->n_origins - op->evict_pos - 1) * sizeof *sm->origins);
        sm->n_origins--;
    }
    find_origin(sm, op->copy, &pos);
    memmove(&sm->origins[pos + 1], &sm->origins[pos], (sm->n_origins - pos) * sizeof *sm->origins);
    sm->origins[pos] = (struct agora_sm_origin){op->copy, seq, slot};
    sm->n_origins++;
    op->copy = NULL;
}

/* ---- plan ------------------------------------------------------------------------------------- */

/* Everything an entry will change, prepared before anything changes. */
struct change {
    struct origin_plan op;
    bool found;                /* target member/task exists */
    size_t pos;                /* its index, or the insertion point */
    int cfg;
    struct agora_member m;
    struct agora_task t;
    char *str;                 /* leader id, framework id or config value */
};

static void change_free(struct change *ch)
{
    agora_free(ch->op.copy);
    agora_smi_member_clear(&ch->m);
    agora_smi_task_clear(&ch->t);
    agora_free(ch->str);
    memset(ch, 0, sizeof *ch);
}

static int plan_str(struct change *ch, const char *s)
{
    ch->str = agora_smi_dup_str(agora_smi_str(s));
    return ch->str != NULL ? AGORA_OK : AGORA_ENOMEM;
}

static int plan_member_exists(const struct agora_sm *sm, const char *id, struct change *ch,
                              char *why, size_t whylen)
{
    ch->found = agora_smi_find_member(sm, id, &ch->pos);
    if (!ch->found) {
        agora_smi_say(why, whylen, "no live member %s", id);
        return AGORA_ENOENT;
    }
    return AGORA_OK;
}

static int plan_task_exists(const struct agora_sm *sm, const char *id, struct change *ch,
                            char *why, size_t whylen)
{
    ch->found = agora_smi_find_task(sm, id, &ch->pos);
    if (!ch->found) {
        agora_smi_say(why, whylen, "no task %s", id);
        return AGORA_ENOENT;
    }
    return AGORA_OK;
}

static int plan_leader(const struct agora_sm *sm, const struct agora_cmd *cmd,
                       struct change *ch, char *why, size_t whylen)
{
    struct agora_ballot b = cmd->u.leader.ballot;
    if (agora_ballot_cmp(b, sm->leader_ballot) <= 0) {
        agora_smi_say(why, whylen, "leader ballot %" PRIu64 ".%" PRIu32 " is not above %" PRIu64
                      ".%" PRIu32, b.round, b.node, sm->leader_ballot.round,
                      sm->leader_ballot.node);
        return AGORA_EINVAL;
    }
    return plan_str(ch, cmd->u.leader.id);
}

static int plan_observed(const struct agora_sm *sm, const struct agora_cmd *cmd,
                         struct change *ch, char *why, size_t whylen)
{
    int rc = plan_task_exists(sm, agora_smi_str(cmd->u.observed.id), ch, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    ch->t.agent_id = agora_smi_dup_str(agora_smi_str(cmd->u.observed.agent_id));
    ch->t.message = agora_smi_dup_str(agora_smi_str(cmd->u.observed.message));
    return ch->t.agent_id && ch->t.message ? AGORA_OK : AGORA_ENOMEM;
}

static int plan_kind(const struct agora_sm *sm, const struct agora_cmd *cmd, struct change *ch,
                     char *why, size_t whylen)
{
    int rc;
    switch (cmd->kind) {
    case AGORA_CMD_MEMBER_JOIN:
        ch->found = agora_smi_find_member(sm, agora_smi_str(cmd->u.join.id), &ch->pos);
        return agora_smi_member_prepare(sm, cmd, &ch->m, why, whylen);
    case AGORA_CMD_MEMBER_LEAVE:
    case AGORA_CMD_MEMBER_EXPIRE:
        return plan_member_exists(sm, agora_smi_str(cmd->u.leave.id), ch, why, whylen);
    case AGORA_CMD_LEADER:
        return plan_leader(sm, cmd, ch, why, whylen);
    case AGORA_CMD_FRAMEWORK_ID:
        return plan_str(ch, cmd->u.framework.id);
    case AGORA_CMD_TASK_DESIRED:
        ch->found = agora_smi_find_task(sm, agora_smi_str(cmd->u.task.id), &ch->pos);
        return agora_smi_task_prepare(sm, cmd, &ch->t, why, whylen);
    case AGORA_CMD_TASK_OBSERVED:
        return plan_observed(sm, cmd, ch, why, whylen);
    case AGORA_CMD_TASK_REMOVE:
        return plan_task_exists(sm, agora_smi_str(cmd->u.remove.id), ch, why, whylen);
    case AGORA_CMD_CONFIG:
        rc = agora_smi_config_check(sm, agora_smi_str(cmd->u.config.key),
                                    agora_smi_str(cmd->u.config.value), &ch->cfg, why, whylen);
        return rc == AGORA_OK ? plan_str(ch, cmd->u.config.value) : rc;
    case AGORA_CMD_NOOP:
        break;
    }
    agora_smi_say(why, whylen, "unknown entry kind %d", (int)cmd->kind);
    return AGORA_EINVAL;
}

/* ESTALE: already applied; ETOOBIG from the origin table, or any code from
 * the kind's checks: rejected; ENOMEM: cannot tell. */
static int plan_cmd(const struct agora_sm *sm, const struct agora_cmd *cmd, struct change *ch,
                    char *why, size_t whylen)
{
    int rc = origin_plan(sm, cmd, &ch->op, why, whylen);
    return rc == AGORA_OK ? plan_kind(sm, cmd, ch, why, whylen) : rc;
}

/* Room for the new member or task, so the commit cannot fail. */
static int reserve_target(struct agora_sm *sm, const struct agora_cmd *cmd,
                          const struct change *ch)
{
    void *p;
    if (cmd->kind == AGORA_CMD_MEMBER_JOIN && !ch->found) {
        p = agora_smi_grow(sm->members, &sm->cap_members, sm->n_members + 1, sizeof *sm->members);
        if (p == NULL)
            return AGORA_ENOMEM;
        sm->members = p;
    } else if (cmd->kind == AGORA_CMD_TASK_DESIRED && !ch->found) {
        p = agora_smi_grow(sm->tasks, &sm->cap_tasks, sm->n_tasks + 1, sizeof *sm->tasks);
        if (p == NULL)
            return AGORA_ENOMEM;
        sm->tasks = p;
    }
    return AGORA_OK;
}

/* ---- commit (cannot fail) ----------------------------------------------------------------------- */

static void commit_join(struct agora_sm *sm, uint64_t slot, struct change *ch)
{
    struct agora_member *m = &ch->m;
    m->updated = slot;
    if (ch->found) {
        struct agora_member *old = &sm->members[ch->pos];
        m->since = old->since;
        agora_smi_member_clear(old);
        *old = *m;
    } else {
        m->since = slot;
        memmove(&sm->members[ch->pos + 1], &sm->members[ch->pos],
                (sm->n_members - ch->pos) * sizeof *sm->members);
        sm->members[ch->pos] = *m;
        sm->n_members++;
    }
    memset(m, 0, sizeof *m);
}

static void commit_member_remove(struct agora_sm *sm, size_t pos)
{
    agora_smi_member_clear(&sm->members[pos]);
    memmove(&sm->members[pos], &sm->members[pos + 1],
            (sm->n_members - pos - 1) * sizeof *sm->members);
    sm->n_members--;
}

static void commit_task(struct agora_sm *sm, uint64_t slot, struct change *ch)
{
    struct agora_task *t = &ch->t;
    t->desired_slot = slot;
    if (ch->found) {
        struct agora_task *old = &sm->tasks[ch->pos];
        /* keep what was observed */
        agora_free(t->agent_id);
        agora_free(t->message);
        t->agent_id = old->agent_id;
        t->message = old->message;
        t->state = old->state;
        t->observed_slot = old->observed_slot;
        old->agent_id = NULL;
        old->message = NULL;
        agora_smi_task_clear(old);
        *old = *t;
    } else {
        memmove(&sm->tasks[ch->pos + 1], &sm->tasks[ch->pos],
                (sm->n_tasks - ch->pos) * sizeof *sm->tasks);
        sm->tasks[ch->pos] = *t;
        sm->n_tasks++;
    }
    memset(t, 0, sizeof *t);
}

static void commit_observed(struct agora_sm *sm, uint64_t slot, const struct agora_cmd *cmd,
                            struct change *ch)
{
    struct agora_task *t = &sm->tasks[ch->pos];
    agora_free(t->agent_id);
    agora_free(t->message);
    t->agent_id = ch->t.agent_id;
    t->message = ch->t.message;
    t->state = cmd->u.observed.state;
    t->observed_slot = slot;
    ch->t.agent_id = NULL;
    ch->t.message = NULL;
}

static void commit_task_remove(struct agora_sm *sm, size_t pos)
{
    agora_smi_task_clear(&sm->tasks[pos]);
    memmove(&sm->tasks[pos], &sm->tasks[pos + 1], (sm->n_tasks - pos - 1) * sizeof *sm->tasks);
    sm->n_tasks--;
}

/* Moves ch->str into *dst. */
static void swap_str(char **dst, struct change *ch)
{
    agora_free(*dst);
    *dst = ch->str;
    ch->str = NULL;
}

static void commit(struct agora_sm *sm, uint64_t slot, const struct agora_cmd *cmd,
                   struct change *ch)
{
    switch (cmd->kind) {
    case AGORA_CMD_MEMBER_JOIN: commit_join(sm, slot, ch); break;
    case AGORA_CMD_MEMBER_LEAVE: commit_member_remove(sm, ch->pos); break;
    case AGORA_CMD_MEMBER_EXPIRE:
        commit_member_remove(sm, ch->pos);
        sm->counters.expired++;
        break;
    case AGORA_CMD_LEADER:
        swap_str(&sm->leader_id, ch);
        sm->leader_ballot = cmd->u.leader.ballot;
        sm->leader_since = slot;
        break;
    case AGORA_CMD_FRAMEWORK_ID: swap_str(&sm->framework_id, ch); break;
    case AGORA_CMD_TASK_DESIRED: commit_task(sm, slot, ch); break;
    case AGORA_CMD_TASK_OBSERVED: commit_observed(sm, slot, cmd, ch); break;
    case AGORA_CMD_TASK_REMOVE: commit_task_remove(sm, ch->pos); break;
    case AGORA_CMD_CONFIG: swap_str(&sm->config[ch->cfg], ch); break;
    case AGORA_CMD_NOOP: break;
    }
}

/* ---- apply ------------------------------------------------------------------------------------ */

static int apply_cmd(struct agora_sm *sm, uint64_t slot, const struct agora_cmd *cmd, char *why,
                     size_t whylen)
{
    struct change ch;
    memset(&ch, 0, sizeof ch);
    int rc = plan_cmd(sm, cmd, &ch, why, whylen);
    if (rc == AGORA_ENOMEM)
        goto out;
    if (rc == AGORA_ESTALE) {
        sm->applied = slot;
        sm->counters.stale++;
        goto out;
    }
    int rrc = origin_reserve(sm, cmd, &ch.op);
    if (rrc == AGORA_OK && rc == AGORA_OK)
        rrc = reserve_target(sm, cmd, &ch);
    if (rrc != AGORA_OK) {
        rc = rrc;
        goto out;
    }
    if (rc == AGORA_OK) {
        commit(sm, slot, cmd, &ch);
        sm->counters.ok++;
    } else {
        sm->counters.rejected++;
    }
    origin_commit(sm, &ch.op, cmd->seq, slot);
    sm->applied = slot;
out:
    change_free(&ch);
    return rc;
}

int agora_sm_apply(struct agora_sm *sm, uint64_t slot, const uint8_t *data, uint32_t len,
                   char *why, size_t whylen)
{
    agora_smi_say(why, whylen, "%s", "");
    if (slot != sm->applied + 1) {
        agora_smi_say(why, whylen, "slot %" PRIu64 " out of order (next is %" PRIu64 ")", slot,
                      sm->applied + 1);
        return AGORA_EINVAL;
    }
    if (len == 0) {
        sm->applied = slot;
        sm->counters.noop++;
        return AGORA_OK;
    }
    struct agora_cmd cmd;
    int rc = agora_cmd_decode(&cmd, data, len, why, whylen);
    if (rc == AGORA_ENOMEM)
        return rc;
    if (rc != AGORA_OK) {
        sm->applied = slot;
        sm->counters.rejected++;
        return rc;
    }
    rc = apply_cmd(sm, slot, &cmd, why, whylen);
    agora_cmd_clear(&cmd);
    return rc;
}

int agora_sm_check(const struct agora_sm *sm, const struct agora_cmd *cmd, char *why,
                   size_t whylen)
{
    agora_smi_say(why, whylen, "%s", "");
    if (cmd->kind == AGORA_CMD_NOOP)
        return AGORA_OK;
    int rc = agora_cmd_check_shape(cmd, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    struct change ch;
    memset(&ch, 0, sizeof ch);
    rc = plan_cmd(sm, cmd, &ch, why, whylen);
    change_free(&ch);
    return rc;
}
