/* sm_snapshot.c: serialises the state machine (for log compaction and the
 * catch-up of a lagging brick or learner, DESIGN.md section 2) and restores
 * it. The bytes depend only on the state: every table is written in its
 * sorted order and every value in its canonical form, so two replicas at the
 * same applied index produce identical snapshots. Layout, little-endian,
 * str = u16 length + bytes (docs/state-machine.md, "Snapshots"):
 *
 *   4 bytes  magic "AGSM"
 *   u8       version (AGORA_SM_SNAPSHOT_VERSION)
 *   u64      applied
 *   u64 x 5  counters: ok, noop, rejected, stale, expired
 *   u16      number of config keys (AGORA_CFG_COUNT), then per key in name
 *            order: str key, str value. Version 1 (before the key
 *            "cluster") had 3 keys; it still restores, with "cluster" up
 *   u64 u32  leader ballot (round, node); str leader id; u64 leader since
 *   str      framework id
 *   u32      members, then per member in id order: str id, u8 kind,
 *            str hostname, str ip, str key options, str key type,
 *            str key base64, u32 alias, u64 since, u64 updated
 *   u32      tasks, then per task in id order: str id, str group,
 *            str hostname, str ip, u8 goal, str image, str network,
 *            u32 cpus_milli, u32 mem_mb, str spec, u64 desired_slot,
 *            u8 state, str agent id, str message, u64 observed_slot
 *   u32      origins, then per origin in order: str origin, u64 seq, u64 slot
 *
 * Restore trusts nothing: every member and task goes through the same checks
 * as apply (against the state rebuilt so far), must already be canonical,
 * and the tables must be strictly sorted. A restore fails as a whole. */
#include <string.h>

#include "sm_impl.h"

static const uint8_t MAGIC[4] = {'A', 'G', 'S', 'M'};

/* ---- snapshot ----------------------------------------------------------------- */

static int put_cstr(struct agora_buf *b, const char *s)
{
    s = agora_smi_str(s);
    return agora_buf_put_str(b, s, strlen(s));
}

static int put_header(const struct agora_sm *sm, struct agora_buf *b)
{
    const struct agora_sm_counters *c = &sm->counters;
    int rc = agora_buf_put(b, MAGIC, sizeof MAGIC);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u8(b, AGORA_SM_SNAPSHOT_VERSION);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u64(b, sm->applied);
    const uint64_t counters[] = {c->ok, c->noop, c->rejected, c->stale, c->expired};
    for (size_t i = 0; rc == AGORA_OK && i < sizeof counters / sizeof counters[0]; i++)
        rc = agora_buf_put_u64(b, counters[i]);
    return rc;
}

static int put_config(const struct agora_sm *sm, struct agora_buf *b)
{
    int rc = agora_buf_put_u16(b, AGORA_CFG_COUNT);
    for (int i = 0; rc == AGORA_OK && i < AGORA_CFG_COUNT; i++) {
        rc = put_cstr(b, agora_sm_config_name((enum agora_sm_config_key)i));
        if (rc == AGORA_OK)
            rc = put_cstr(b, agora_sm_config(sm, (enum agora_sm_config_key)i));
    }
    return rc;
}

static int put_leader(const struct agora_sm *sm, struct agora_buf *b)
{
    int rc = agora_buf_put_u64(b, sm->leader_ballot.round);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u32(b, sm->leader_ballot.node);
    if (rc == AGORA_OK)
        rc = put_cstr(b, sm->leader_id);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u64(b, sm->leader_since);
    if (rc == AGORA_OK)
        rc = put_cstr(b, sm->framework_id);
    return rc;
}

static int put_member(const struct agora_member *m, struct agora_buf *b)
{
    int rc = put_cstr(b, m->id);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u8(b, (uint8_t)m->kind);
    const char *strs[] = {m->hostname, m->ip, m->key_options, m->key_type, m->key_blob};
    for (size_t i = 0; rc == AGORA_OK && i < sizeof strs / sizeof strs[0]; i++)
        rc = put_cstr(b, strs[i]);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u32(b, m->alias);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u64(b, m->since);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u64(b, m->updated);
    return rc;
}

static int put_task(const struct agora_task *t, struct agora_buf *b)
{
    const char *strs1[] = {t->id, t->group, t->hostname, t->ip};
    const char *strs2[] = {t->image, t->network};
    int rc = AGORA_OK;
    for (size_t i = 0; rc == AGORA_OK && i < sizeof strs1 / sizeof strs1[0]; i++)
        rc = put_cstr(b, strs1[i]);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u8(b, (uint8_t)t->goal);
    for (size_t i = 0; rc == AGORA_OK && i < sizeof strs2 / sizeof strs2[0]; i++)
        rc = put_cstr(b, strs2[i]);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u32(b, t->cpus_milli);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u32(b, t->mem_mb);
    if (rc == AGORA_OK)
        rc = put_cstr(b, t->spec);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u64(b, t->desired_slot);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u8(b, (uint8_t)t->state);
    if (rc == AGORA_OK)
        rc = put_cstr(b, t->agent_id);
    if (rc == AGORA_OK)
        rc = put_cstr(b, t->message);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u64(b, t->observed_slot);
    return rc;
}

static int put_tables(const struct agora_sm *sm, struct agora_buf *b)
{
    int rc = agora_buf_put_u32(b, (uint32_t)sm->n_members);
    for (size_t i = 0; rc == AGORA_OK && i < sm->n_members; i++)
        rc = put_member(&sm->members[i], b);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u32(b, (uint32_t)sm->n_tasks);
    for (size_t i = 0; rc == AGORA_OK && i < sm->n_tasks; i++)
        rc = put_task(&sm->tasks[i], b);
    if (rc == AGORA_OK)
        rc = agora_buf_put_u32(b, (uint32_t)sm->n_origins);
    for (size_t i = 0; rc == AGORA_OK && i < sm->n_origins; i++) {
        rc = put_cstr(b, sm->origins[i].origin);
        if (rc == AGORA_OK)
            rc = agora_buf_put_u64(b, sm->origins[i].seq);
        if (rc == AGORA_OK)
            rc = agora_buf_put_u64(b, sm->origins[i].slot);
    }
    return rc;
}

int agora_sm_snapshot(const struct agora_sm *sm, struct agora_buf *out)
{
    size_t start = out->len;
    int rc = put_header(sm, out);
    if (rc == AGORA_OK)
        rc = put_config(sm, out);
    if (rc == AGORA_OK)
        rc = put_leader(sm, out);
    if (rc == AGORA_OK)
        rc = put_tables(sm, out);
    if (rc != AGORA_OK)
        out->len = start;
    return rc;
}

/* ---- restore ------------------------------------------------------------------- */

#define RS_MAX_STRS 16

/* The reader plus NUL-terminated copies of the current record's strings. */
struct rs {
    struct agora_rd r;
    uint8_t version;               /* of the snapshot being restored */
    char *strs[RS_MAX_STRS];
    size_t n;
    bool nomem;
    bool bad;
};

/* The next string as a C string; "" after any failure (checked by rs_status). */
static const char *rs_str(struct rs *rs)
{
    uint16_t n;
    const char *p = agora_rd_str(&rs->r, &n);
    if (p == NULL)
        return "";
    if (rs->n == RS_MAX_STRS) {
        rs->bad = true;
        return "";
    }
    if (memchr(p, '\0', n) != NULL) {
        rs->bad = true;
        return "";
    }
    char *s = agora_strndup(p, n);
    if (s == NULL) {
        rs->nomem = true;
        return "";
    }
    rs->strs[rs->n++] = s;
    return s;
}

/* Status of the record read so far. */
static int rs_status(struct rs *rs)
{
    if (rs->nomem)
        return AGORA_ENOMEM;
    if (rs->r.err)
        return AGORA_ETRUNC;
    return rs->bad ? AGORA_ECORRUPT : AGORA_OK;
}

static void rs_release(struct rs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        agora_free(rs->strs[i]);
    rs->n = 0;
}

/* A failed check of restored data is corruption, except running out of memory. */
static int corrupt(int rc)
{
    return rc == AGORA_OK || rc == AGORA_ENOMEM ? rc : AGORA_ECORRUPT;
}

static bool slot_ok(uint64_t slot, uint64_t applied)
{
    return slot >= 1 && slot <= applied;
}

static int get_header(struct rs *rs, struct agora_sm *sm)
{
    const uint8_t *magic = agora_rd_bytes(&rs->r, sizeof MAGIC);
    uint8_t version = agora_rd_u8(&rs->r);
    struct agora_sm_counters *c = &sm->counters;
    sm->applied = agora_rd_u64(&rs->r);
    c->ok = agora_rd_u64(&rs->r);
    c->noop = agora_rd_u64(&rs->r);
    c->rejected = agora_rd_u64(&rs->r);
    c->stale = agora_rd_u64(&rs->r);
    c->expired = agora_rd_u64(&rs->r);
    if (rs->r.err)
        return AGORA_ETRUNC;
    if (memcmp(magic, MAGIC, sizeof MAGIC) != 0)
        return AGORA_ECORRUPT;
    if (version != 1 && version != AGORA_SM_SNAPSHOT_VERSION)
        return AGORA_EINVAL;
    rs->version = version;
    /* every applied slot counted exactly once (summed without overflow) */
    uint64_t rest = sm->applied;
    const uint64_t parts[] = {c->ok, c->noop, c->rejected, c->stale};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (parts[i] > rest)
            return AGORA_ECORRUPT;
        rest -= parts[i];
    }
    return rest == 0 && c->expired <= c->ok ? AGORA_OK : AGORA_ECORRUPT;
}

/* Keys a snapshot of this version holds: version 1 had no "cluster". */
static bool has_key(uint8_t version, int i)
{
    return version > 1 || i != AGORA_CFG_CLUSTER;
}

static int get_config(struct rs *rs, struct agora_sm *sm)
{
    int want = 0;
    for (int i = 0; i < AGORA_CFG_COUNT; i++)
        want += has_key(rs->version, i);
    if (agora_rd_u16(&rs->r) != want)
        return rs->r.err ? AGORA_ETRUNC : AGORA_ECORRUPT;
    for (int i = 0; i < AGORA_CFG_COUNT; i++) {
        if (!has_key(rs->version, i))
            continue; /* stays at its default */
        const char *key = rs_str(rs);
        const char *value = rs_str(rs);
        int idx;
        int rc = rs_status(rs);
        if (rc == AGORA_OK && strcmp(key, agora_sm_config_name((enum agora_sm_config_key)i)))
            rc = AGORA_ECORRUPT;
        if (rc == AGORA_OK)
            rc = corrupt(agora_smi_config_check(sm, key, value, &idx, NULL, 0));
        if (rc == AGORA_OK && (sm->config[i] = agora_strndup(value, strlen(value))) == NULL)
            rc = AGORA_ENOMEM;
        rs_release(rs);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

static char *dup_nonempty(const char *s, bool *nomem)
{
    if (*s == '\0')
        return NULL;
    char *d = agora_strndup(s, strlen(s));
    if (d == NULL)
        *nomem = true;
    return d;
}

/* The leader and the framework id. */
static int get_leader(struct rs *rs, struct agora_sm *sm)
{
    bool nomem = false;
    sm->leader_ballot.round = agora_rd_u64(&rs->r);
    sm->leader_ballot.node = agora_rd_u32(&rs->r);
    const char *id = rs_str(rs);
    sm->leader_since = agora_rd_u64(&rs->r);
    const char *fw = rs_str(rs);
    int rc = rs_status(rs);
    bool none = agora_ballot_is_zero(sm->leader_ballot);
    if (rc == AGORA_OK && none && (*id != '\0' || sm->leader_since != 0))
        rc = AGORA_ECORRUPT;
    if (rc == AGORA_OK && !none && (sm->leader_ballot.node == 0 || !agora_smi_valid_id(id) ||
                                    !slot_ok(sm->leader_since, sm->applied)))
        rc = AGORA_ECORRUPT;
    if (rc == AGORA_OK && *fw != '\0' && !agora_smi_valid_id(fw))
        rc = AGORA_ECORRUPT;
    if (rc == AGORA_OK) {
        sm->leader_id = dup_nonempty(id, &nomem);
        sm->framework_id = dup_nonempty(fw, &nomem);
        rc = nomem ? AGORA_ENOMEM : AGORA_OK;
    }
    rs_release(rs);
    return rc;
}

/* ---- restore: members ---------------------------------------------------------------- */

struct member_rec {
    const char *id, *hostname, *ip, *opts, *type, *blob;
    uint8_t kind;
    uint32_t alias;
    uint64_t since, updated;
};

static void read_member(struct rs *rs, struct member_rec *mr)
{
    mr->id = rs_str(rs);
    mr->kind = agora_rd_u8(&rs->r);
    mr->hostname = rs_str(rs);
    mr->ip = rs_str(rs);
    mr->opts = rs_str(rs);
    mr->type = rs_str(rs);
    mr->blob = rs_str(rs);
    mr->alias = agora_rd_u32(&rs->r);
    mr->since = agora_rd_u64(&rs->r);
    mr->updated = agora_rd_u64(&rs->r);
}

/* "[options ]type base64": the key line a JOIN would have carried. */
static int key_line(const struct member_rec *mr, struct agora_buf *line)
{
    int rc = AGORA_OK;
    if (*mr->opts != '\0') {
        rc = agora_buf_put(line, mr->opts, strlen(mr->opts));
        if (rc == AGORA_OK)
            rc = agora_buf_put(line, " ", 1);
    }
    if (rc == AGORA_OK)
        rc = agora_buf_put(line, mr->type, strlen(mr->type));
    if (rc == AGORA_OK)
        rc = agora_buf_put(line, " ", 1);
    if (rc == AGORA_OK)
        rc = agora_buf_put(line, mr->blob, strlen(mr->blob));
    if (rc == AGORA_OK)
        rc = agora_buf_put(line, "", 1);
    return rc;
}

static bool alias_taken(const struct agora_sm *sm, uint32_t alias)
{
    for (size_t i = 0; i < sm->n_members; i++) {
        if (sm->members[i].alias == alias)
            return true;
    }
    return false;
}

/* The record, re-validated as a JOIN, must come out unchanged. */
static int check_member(const struct agora_sm *sm, const struct member_rec *mr,
                        struct agora_member *m)
{
    struct agora_buf line;
    struct agora_cmd cmd;
    agora_buf_init(&line);
    agora_cmd_init(&cmd);
    int rc = key_line(mr, &line);
    cmd.kind = AGORA_CMD_MEMBER_JOIN;
    cmd.u.join.id = mr->id;
    cmd.u.join.hostname = mr->hostname;
    cmd.u.join.ip = mr->ip;
    cmd.u.join.sshkey = rc == AGORA_OK ? (const char *)line.data : "";
    cmd.u.join.kind = (enum agora_member_kind)mr->kind;
    if (rc == AGORA_OK)
        rc = corrupt(agora_cmd_check_shape(&cmd, NULL, 0));
    if (rc == AGORA_OK)
        rc = corrupt(agora_smi_member_prepare(sm, &cmd, m, NULL, 0));
    agora_buf_free(&line);
    if (rc != AGORA_OK)
        return rc;
    if (strcmp(m->hostname, mr->hostname) || strcmp(m->ip, mr->ip) ||
        strcmp(m->key_options, mr->opts) || strcmp(m->key_type, mr->type) ||
        strcmp(m->key_blob, mr->blob) || mr->alias >= AGORA_SM_MAX_MEMBERS ||
        alias_taken(sm, mr->alias) || !slot_ok(mr->since, mr->updated) ||
        !slot_ok(mr->updated, sm->applied))
        return AGORA_ECORRUPT;
    m->alias = mr->alias;
    m->since = mr->since;
    m->updated = mr->updated;
    return AGORA_OK;
}

static int append_member(struct agora_sm *sm, struct agora_member *m)
{
    void *p = agora_smi_grow(sm->members, &sm->cap_members, sm->n_members + 1,
                             sizeof *sm->members);
    if (p == NULL)
        return AGORA_ENOMEM;
    sm->members = p;
    sm->members[sm->n_members++] = *m;
    memset(m, 0, sizeof *m);
    return AGORA_OK;
}

static int get_members(struct rs *rs, struct agora_sm *sm)
{
    uint32_t n = agora_rd_u32(&rs->r);
    if (rs->r.err)
        return AGORA_ETRUNC;
    if (n > AGORA_SM_MAX_MEMBERS)
        return AGORA_ECORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        struct member_rec mr;
        struct agora_member m;
        memset(&m, 0, sizeof m);
        read_member(rs, &mr);
        int rc = rs_status(rs);
        if (rc == AGORA_OK && i > 0 && strcmp(sm->members[i - 1].id, mr.id) >= 0)
            rc = AGORA_ECORRUPT;
        if (rc == AGORA_OK)
            rc = check_member(sm, &mr, &m);
        if (rc == AGORA_OK)
            rc = append_member(sm, &m);
        agora_smi_member_clear(&m);
        rs_release(rs);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

/* ---- restore: tasks ---------------------------------------------------------------------- */

struct task_rec {
    struct agora_cmd desired;
    struct agora_cmd observed;
    uint64_t desired_slot, observed_slot;
};

static void read_task(struct rs *rs, struct task_rec *tr)
{
    agora_cmd_init(&tr->desired);
    agora_cmd_init(&tr->observed);
    tr->desired.kind = AGORA_CMD_TASK_DESIRED;
    tr->desired.u.task.id = rs_str(rs);
    tr->desired.u.task.group = rs_str(rs);
    tr->desired.u.task.hostname = rs_str(rs);
    tr->desired.u.task.ip = rs_str(rs);
    tr->desired.u.task.goal = (enum agora_task_goal)agora_rd_u8(&rs->r);
    tr->desired.u.task.image = rs_str(rs);
    tr->desired.u.task.network = rs_str(rs);
    tr->desired.u.task.cpus_milli = agora_rd_u32(&rs->r);
    tr->desired.u.task.mem_mb = agora_rd_u32(&rs->r);
    tr->desired.u.task.spec = rs_str(rs);
    tr->desired_slot = agora_rd_u64(&rs->r);
    tr->observed.kind = AGORA_CMD_TASK_OBSERVED;
    tr->observed.u.observed.id = tr->desired.u.task.id;
    tr->observed.u.observed.state = (enum agora_task_state)agora_rd_u8(&rs->r);
    tr->observed.u.observed.agent_id = rs_str(rs);
    tr->observed.u.observed.message = rs_str(rs);
    tr->observed_slot = agora_rd_u64(&rs->r);
}

/* Never observed: nothing recorded; observed: a valid TASK_OBSERVED. */
static int check_observed(const struct agora_sm *sm, const struct task_rec *tr)
{
    const struct agora_cmd *o = &tr->observed;
    if (o->u.observed.state == AGORA_TASK_NONE) {
        bool empty = *o->u.observed.agent_id == '\0' && *o->u.observed.message == '\0';
        return empty && tr->observed_slot == 0 ? AGORA_OK : AGORA_ECORRUPT;
    }
    if (!slot_ok(tr->observed_slot, sm->applied))
        return AGORA_ECORRUPT;
    return corrupt(agora_cmd_check_shape(o, NULL, 0));
}

static int set_observed(struct agora_task *t, const struct task_rec *tr)
{
    const struct agora_cmd *o = &tr->observed;
    char *agent = agora_strndup(o->u.observed.agent_id, strlen(o->u.observed.agent_id));
    char *msg = agora_strndup(o->u.observed.message, strlen(o->u.observed.message));
    if (agent == NULL || msg == NULL) {
        agora_free(agent);
        agora_free(msg);
        return AGORA_ENOMEM;
    }
    agora_free(t->agent_id);
    agora_free(t->message);
    t->agent_id = agent;
    t->message = msg;
    t->state = o->u.observed.state;
    t->observed_slot = tr->observed_slot;
    t->desired_slot = tr->desired_slot;
    return AGORA_OK;
}

static int check_task(const struct agora_sm *sm, const struct task_rec *tr, struct agora_task *t)
{
    int rc = corrupt(agora_cmd_check_shape(&tr->desired, NULL, 0));
    if (rc == AGORA_OK)
        rc = corrupt(agora_smi_task_prepare(sm, &tr->desired, t, NULL, 0));
    if (rc != AGORA_OK)
        return rc;
    if (strcmp(t->hostname, tr->desired.u.task.hostname) || strcmp(t->ip, tr->desired.u.task.ip) ||
        !slot_ok(tr->desired_slot, sm->applied))
        return AGORA_ECORRUPT;
    rc = check_observed(sm, tr);
    return rc == AGORA_OK ? set_observed(t, tr) : rc;
}

static int append_task(struct agora_sm *sm, struct agora_task *t)
{
    void *p = agora_smi_grow(sm->tasks, &sm->cap_tasks, sm->n_tasks + 1, sizeof *sm->tasks);
    if (p == NULL)
        return AGORA_ENOMEM;
    sm->tasks = p;
    sm->tasks[sm->n_tasks++] = *t;
    memset(t, 0, sizeof *t);
    return AGORA_OK;
}

static int get_tasks(struct rs *rs, struct agora_sm *sm)
{
    uint32_t n = agora_rd_u32(&rs->r);
    if (rs->r.err)
        return AGORA_ETRUNC;
    if (n > AGORA_SM_MAX_TASKS)
        return AGORA_ECORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        struct task_rec tr;
        struct agora_task t;
        memset(&t, 0, sizeof t);
        read_task(rs, &tr);
        int rc = rs_status(rs);
        if (rc == AGORA_OK && i > 0 && strcmp(sm->tasks[i - 1].id, tr.desired.u.task.id) >= 0)
            rc = AGORA_ECORRUPT;
        if (rc == AGORA_OK)
            rc = check_task(sm, &tr, &t);
        if (rc == AGORA_OK)
            rc = append_task(sm, &t);
        agora_smi_task_clear(&t);
        rs_release(rs);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

/* ---- restore: the exactly-once table ------------------------------------------------------ */

static int append_origin(struct agora_sm *sm, const char *origin, uint64_t seq, uint64_t slot)
{
    void *p = agora_smi_grow(sm->origins, &sm->cap_origins, sm->n_origins + 1,
                             sizeof *sm->origins);
    if (p == NULL)
        return AGORA_ENOMEM;
    sm->origins = p;
    char *copy = agora_strndup(origin, strlen(origin));
    if (copy == NULL)
        return AGORA_ENOMEM;
    sm->origins[sm->n_origins++] = (struct agora_sm_origin){copy, seq, slot};
    return AGORA_OK;
}

static int get_origins(struct rs *rs, struct agora_sm *sm)
{
    uint32_t n = agora_rd_u32(&rs->r);
    if (rs->r.err)
        return AGORA_ETRUNC;
    if (n > AGORA_SM_MAX_ORIGINS)
        return AGORA_ECORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        const char *origin = rs_str(rs);
        uint64_t seq = agora_rd_u64(&rs->r);
        uint64_t slot = agora_rd_u64(&rs->r);
        int rc = rs_status(rs);
        if (rc == AGORA_OK && (!agora_smi_valid_id(origin) || seq == 0 ||
                               !slot_ok(slot, sm->applied) ||
                               (i > 0 && strcmp(sm->origins[i - 1].origin, origin) >= 0)))
            rc = AGORA_ECORRUPT;
        if (rc == AGORA_OK)
            rc = append_origin(sm, origin, seq, slot);
        rs_release(rs);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

static int restore_into(struct agora_sm *sm, const uint8_t *data, size_t len)
{
    struct rs rs;
    memset(&rs, 0, sizeof rs);
    agora_rd_init(&rs.r, data, len);
    int rc = get_header(&rs, sm);
    if (rc == AGORA_OK)
        rc = get_config(&rs, sm);
    if (rc == AGORA_OK)
        rc = get_leader(&rs, sm);
    if (rc == AGORA_OK)
        rc = get_members(&rs, sm);
    if (rc == AGORA_OK)
        rc = get_tasks(&rs, sm);
    if (rc == AGORA_OK)
        rc = get_origins(&rs, sm);
    if (rc == AGORA_OK && agora_rd_left(&rs.r) != 0)
        rc = AGORA_ECORRUPT;
    rs_release(&rs);
    return rc;
}

int agora_sm_restore(struct agora_sm *sm, const uint8_t *data, size_t len)
{
    struct agora_sm fresh;
    agora_sm_init(&fresh);
    int rc = restore_into(&fresh, data, len);
    if (rc != AGORA_OK) {
        agora_sm_free(&fresh);
        return rc;
    }
    agora_sm_free(sm);
    *sm = fresh;
    return AGORA_OK;
}
