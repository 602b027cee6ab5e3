/* sm_entry.c: the entry codec of the state machine. An entry is the value of
 * one log slot; its byte layout (docs/state-machine.md, "Entries"):
 *
 *   u8   kind        enum agora_cmd_kind, 1..9
 *   u8   version     AGORA_SM_ENTRY_VERSION
 *   str  origin      member id of the requester, may be empty
 *   u64  seq         requester's sequence number, 0 = none
 *   ...  fields of the kind, in the order of codec_fields() below
 *
 * str = u16 length + bytes (no NUL inside, no terminator); integers are
 * little-endian. A zero-length value is a no-op and never reaches this file.
 * One function per kind walks the fields for both directions, so the encoder
 * and the decoder cannot disagree on the layout. */
#include <string.h>

#include "sm_impl.h"

/* ---- names ----------------------------------------------------------------- */

static const char *const KIND_NAMES[] = {
    [AGORA_CMD_NOOP] = "noop",
    [AGORA_CMD_MEMBER_JOIN] = "member_join",
    [AGORA_CMD_MEMBER_LEAVE] = "member_leave",
    [AGORA_CMD_MEMBER_EXPIRE] = "member_expire",
    [AGORA_CMD_LEADER] = "leader",
    [AGORA_CMD_FRAMEWORK_ID] = "framework_id",
    [AGORA_CMD_TASK_DESIRED] = "task_desired",
    [AGORA_CMD_TASK_OBSERVED] = "task_observed",
    [AGORA_CMD_TASK_REMOVE] = "task_remove",
    [AGORA_CMD_CONFIG] = "config",
};

static const char *const STATE_NAMES[] = {
    [AGORA_TASK_NONE] = NULL,
    [AGORA_TASK_STAGING] = "TASK_STAGING",
    [AGORA_TASK_STARTING] = "TASK_STARTING",
    [AGORA_TASK_RUNNING] = "TASK_RUNNING",
    [AGORA_TASK_KILLING] = "TASK_KILLING",
    [AGORA_TASK_FINISHED] = "TASK_FINISHED",
    [AGORA_TASK_FAILED] = "TASK_FAILED",
    [AGORA_TASK_KILLED] = "TASK_KILLED",
    [AGORA_TASK_ERROR] = "TASK_ERROR",
    [AGORA_TASK_LOST] = "TASK_LOST",
    [AGORA_TASK_DROPPED] = "TASK_DROPPED",
    [AGORA_TASK_UNREACHABLE] = "TASK_UNREACHABLE",
    [AGORA_TASK_GONE] = "TASK_GONE",
    [AGORA_TASK_GONE_BY_OPERATOR] = "TASK_GONE_BY_OPERATOR",
    [AGORA_TASK_UNKNOWN] = "TASK_UNKNOWN",
};

const char *agora_cmd_kind_name(int kind)
{
    if (kind < 0 || kind > AGORA_CMD_CONFIG)
        return "?";
    return KIND_NAMES[kind];
}

const char *agora_member_kind_name(int kind)
{
    switch (kind) {
    case AGORA_MEMBER_HOST: return "host";
    case AGORA_MEMBER_CONTAINER: return "container";
    default: return "?";
    }
}

const char *agora_task_goal_name(int goal)
{
    switch (goal) {
    case AGORA_GOAL_RUN: return "run";
    case AGORA_GOAL_STOP: return "stop";
    default: return "?";
    }
}

const char *agora_task_state_name(int state)
{
    if (state <= AGORA_TASK_NONE || state > AGORA_TASK_STATE_LAST)
        return NULL;
    return STATE_NAMES[state];
}

int agora_task_state_parse(const char *name, size_t len, enum agora_task_state *out)
{
    for (int s = AGORA_TASK_NONE + 1; s <= AGORA_TASK_STATE_LAST; s++) {
        const char *n = STATE_NAMES[s];
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            *out = (enum agora_task_state)s;
            return AGORA_OK;
        }
    }
    return AGORA_EINVAL;
}

/* ---- init / clear ------------------------------------------------------------ */

void agora_cmd_init(struct agora_cmd *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = AGORA_CMD_NOOP;
}

void agora_cmd_clear(struct agora_cmd *cmd)
{
    agora_free(cmd->store_);
    agora_cmd_init(cmd);
}

/* ---- shape checks ------------------------------------------------------------ */

/* A string field within its length bound. */
static int check_len(const char *what, const char *s, size_t max, char *why, size_t whylen)
{
    size_t n = strlen(agora_smi_str(s));
    if (n > max) {
        agora_smi_say(why, whylen, "%s is %zu bytes (limit %zu)", what, n, max);
        return AGORA_ETOOBIG;
    }
    return AGORA_OK;
}

/* An id field (or "" when may_be_empty). */
static int check_id(const char *what, const char *s, bool may_be_empty, char *why,
                    size_t whylen)
{
    s = agora_smi_str(s);
    if (*s == '\0' && may_be_empty)
        return AGORA_OK;
    if (strlen(s) > AGORA_SM_ID_MAX) {
        agora_smi_say(why, whylen, "%s is longer than %u bytes", what, AGORA_SM_ID_MAX);
        return AGORA_ETOOBIG;
    }
    if (!agora_smi_valid_id(s)) {
        agora_smi_say(why, whylen, "%s is not a valid id (1..%u of A-Z a-z 0-9 . _ : @ -,"
                      " first alphanumeric)", what, AGORA_SM_ID_MAX);
        return AGORA_EINVAL;
    }
    return AGORA_OK;
}

static int check_required(const char *what, const char *s, char *why, size_t whylen)
{
    if (*agora_smi_str(s) == '\0') {
        agora_smi_say(why, whylen, "%s is empty", what);
        return AGORA_EINVAL;
    }
    return AGORA_OK;
}

/* Docker image references: printable ASCII without spaces. */
static int check_image(const char *s, char *why, size_t whylen)
{
    int rc = check_len("image", s, AGORA_SM_IMAGE_MAX, why, whylen);
    for (const char *p = agora_smi_str(s); rc == AGORA_OK && *p; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            agora_smi_say(why, whylen, "image has a byte 0x%02x outside printable ASCII",
                          (unsigned)(unsigned char)*p);
            rc = AGORA_EINVAL;
        }
    }
    return rc;
}

static int shape_join(const struct agora_cmd *c, char *why, size_t whylen)
{
    int rc = check_id("member id", c->u.join.id, false, why, whylen);
    if (rc == AGORA_OK)
        rc = check_required("host name", c->u.join.hostname, why, whylen);
    if (rc == AGORA_OK)
        rc = check_len("host name", c->u.join.hostname, AGORA_HOSTNAME_MAX, why, whylen);
    if (rc == AGORA_OK)
        rc = check_required("ip", c->u.join.ip, why, whylen);
    if (rc == AGORA_OK)
        rc = check_len("ip", c->u.join.ip, AGORA_SM_IP_MAX, why, whylen);
    if (rc == AGORA_OK)
        rc = check_required("ssh key", c->u.join.sshkey, why, whylen);
    if (rc == AGORA_OK)
        rc = check_len("ssh key", c->u.join.sshkey, AGORA_SM_KEY_MAX, why, whylen);
    if (rc == AGORA_OK && c->u.join.kind != AGORA_MEMBER_HOST &&
        c->u.join.kind != AGORA_MEMBER_CONTAINER) {
        agora_smi_say(why, whylen, "member kind %d is neither host nor container",
                      (int)c->u.join.kind);
        rc = AGORA_EINVAL;
    }
    return rc;
}

static int shape_leader(const struct agora_cmd *c, char *why, size_t whylen)
{
    if (c->u.leader.ballot.node == 0) {
        agora_smi_say(why, whylen, "leader ballot has node 0");
        return AGORA_EINVAL;
    }
    return check_id("leader id", c->u.leader.id, false, why, whylen);
}

static int shape_task_address(const struct agora_cmd *c, char *why, size_t whylen)
{
    int rc = check_len("task host name", c->u.task.hostname, AGORA_HOSTNAME_MAX, why, whylen);
    if (rc == AGORA_OK)
        rc = check_len("task ip", c->u.task.ip, AGORA_SM_IP_MAX, why, whylen);
    bool has_host = *agora_smi_str(c->u.task.hostname) != '\0';
    bool has_ip = *agora_smi_str(c->u.task.ip) != '\0';
    if (rc == AGORA_OK && has_host != has_ip) {
        agora_smi_say(why, whylen, "task %s has a host name or an ip but not both",
                      agora_smi_str(c->u.task.id));
        rc = AGORA_EINVAL;
    }
    return rc;
}

static int shape_task(const struct agora_cmd *c, char *why, size_t whylen)
{
    int rc = check_id("task id", c->u.task.id, false, why, whylen);
    if (rc == AGORA_OK)
        rc = check_id("task group", c->u.task.group, true, why, whylen);
    if (rc == AGORA_OK)
        rc = shape_task_address(c, why, whylen);
    if (rc == AGORA_OK && c->u.task.goal != AGORA_GOAL_RUN && c->u.task.goal != AGORA_GOAL_STOP) {
        agora_smi_say(why, whylen, "task goal %d is neither run nor stop", (int)c->u.task.goal);
        rc = AGORA_EINVAL;
    }
    if (rc == AGORA_OK)
        rc = check_image(c->u.task.image, why, whylen);
    if (rc == AGORA_OK)
        rc = check_id("task network", c->u.task.network, true, why, whylen);
    if (rc == AGORA_OK && (c->u.task.cpus_milli > AGORA_SM_CPUS_MILLI_MAX ||
                           c->u.task.mem_mb > AGORA_SM_MEM_MB_MAX)) {
        agora_smi_say(why, whylen, "task cpus_milli %u or mem_mb %u above the limit",
                      (unsigned)c->u.task.cpus_milli, (unsigned)c->u.task.mem_mb);
        rc = AGORA_ETOOBIG;
    }
    if (rc == AGORA_OK)
        rc = check_len("task spec", c->u.task.spec, AGORA_SM_SPEC_MAX, why, whylen);
    return rc;
}

static int shape_observed(const struct agora_cmd *c, char *why, size_t whylen)
{
    int rc = check_id("task id", c->u.observed.id, false, why, whylen);
    if (rc == AGORA_OK && agora_task_state_name((int)c->u.observed.state) == NULL) {
        agora_smi_say(why, whylen, "observed state %d is not a task state",
                      (int)c->u.observed.state);
        rc = AGORA_EINVAL;
    }
    if (rc == AGORA_OK)
        rc = check_id("agent id", c->u.observed.agent_id, true, why, whylen);
    if (rc == AGORA_OK)
        rc = check_len("message", c->u.observed.message, AGORA_SM_MESSAGE_MAX, why, whylen);
    return rc;
}

static int shape_config(const struct agora_cmd *c, char *why, size_t whylen)
{
    const char *key = agora_smi_str(c->u.config.key);
    int rc = check_len("config key", key, AGORA_SM_CONFIG_KEY_MAX, why, whylen);
    if (rc == AGORA_OK && agora_smi_config_index(key) < 0) {
        agora_smi_say(why, whylen, "unknown config key \"%s\"", key);
        rc = AGORA_EINVAL;
    }
    if (rc == AGORA_OK)
        rc = check_len("config value", c->u.config.value, AGORA_SM_CONFIG_VALUE_MAX, why, whylen);
    return rc;
}

static int shape_fields(const struct agora_cmd *c, char *why, size_t whylen)
{
    switch (c->kind) {
    case AGORA_CMD_MEMBER_JOIN: return shape_join(c, why, whylen);
    case AGORA_CMD_MEMBER_LEAVE:
    case AGORA_CMD_MEMBER_EXPIRE: return check_id("member id", c->u.leave.id, false, why, whylen);
    case AGORA_CMD_LEADER: return shape_leader(c, why, whylen);
    case AGORA_CMD_FRAMEWORK_ID: return check_id("framework id", c->u.framework.id, true, why, whylen);
    case AGORA_CMD_TASK_DESIRED: return shape_task(c, why, whylen);
    case AGORA_CMD_TASK_OBSERVED: return shape_observed(c, why, whylen);
    case AGORA_CMD_TASK_REMOVE: return check_id("task id", c->u.remove.id, false, why, whylen);
    case AGORA_CMD_CONFIG: return shape_config(c, why, whylen);
    case AGORA_CMD_NOOP: break;
    }
    agora_smi_say(why, whylen, "unknown entry kind %d", (int)c->kind);
    return AGORA_EINVAL;
}

int agora_cmd_check_shape(const struct agora_cmd *cmd, char *why, size_t whylen)
{
    int rc = check_id("origin", cmd->origin, true, why, whylen);
    if (rc == AGORA_OK && cmd->seq != 0 && *agora_smi_str(cmd->origin) == '\0') {
        agora_smi_say(why, whylen, "seq %llu without an origin", (unsigned long long)cmd->seq);
        rc = AGORA_EINVAL;
    }
    return rc == AGORA_OK ? shape_fields(cmd, why, whylen) : rc;
}

/* ---- the codec ------------------------------------------------------------------ */

#define CODEC_MAX_STRS 12

/* One direction of the walk: encoding appends to `out`; decoding reads from
 * `rd` and remembers where each string lies until they are copied. */
struct codec {
    bool enc;
    struct agora_buf *out;
    int rc;
    struct agora_rd rd;
    bool nul;
    size_t nstr;
    struct {
        const char *p;
        uint16_t n;
        const char **dst;
    } strs[CODEC_MAX_STRS];
};

static void c_str(struct codec *c, const char **s)
{
    if (c->enc) {
        const char *v = agora_smi_str(*s);
        if (c->rc == AGORA_OK)
            c->rc = agora_buf_put_str(c->out, v, strlen(v));
        return;
    }
    uint16_t n;
    const char *p = agora_rd_str(&c->rd, &n);
    if (p == NULL)
        return;
    if (memchr(p, '\0', n) != NULL)
        c->nul = true;
    c->strs[c->nstr].p = p;
    c->strs[c->nstr].n = n;
    c->strs[c->nstr].dst = s;
    c->nstr++;
}

static void c_u8(struct codec *c, uint8_t *v)
{
    if (!c->enc)
        *v = agora_rd_u8(&c->rd);
    else if (c->rc == AGORA_OK)
        c->rc = agora_buf_put_u8(c->out, *v);
}

static void c_u32(struct codec *c, uint32_t *v)
{
    if (!c->enc)
        *v = agora_rd_u32(&c->rd);
    else if (c->rc == AGORA_OK)
        c->rc = agora_buf_put_u32(c->out, *v);
}

static void c_u64(struct codec *c, uint64_t *v)
{
    if (!c->enc)
        *v = agora_rd_u64(&c->rd);
    else if (c->rc == AGORA_OK)
        c->rc = agora_buf_put_u64(c->out, *v);
}

static void codec_join(struct codec *c, struct agora_cmd *cmd)
{
    uint8_t kind = (uint8_t)cmd->u.join.kind;
    c_str(c, &cmd->u.join.id);
    c_str(c, &cmd->u.join.hostname);
    c_str(c, &cmd->u.join.ip);
    c_str(c, &cmd->u.join.sshkey);
    c_u8(c, &kind);
    cmd->u.join.kind = (enum agora_member_kind)kind;
}

static void codec_leader(struct codec *c, struct agora_cmd *cmd)
{
    c_u64(c, &cmd->u.leader.ballot.round);
    c_u32(c, &cmd->u.leader.ballot.node);
    c_str(c, &cmd->u.leader.id);
}

static void codec_task(struct codec *c, struct agora_cmd *cmd)
{
    uint8_t goal = (uint8_t)cmd->u.task.goal;
    c_str(c, &cmd->u.task.id);
    c_str(c, &cmd->u.task.group);
    c_str(c, &cmd->u.task.hostname);
    c_str(c, &cmd->u.task.ip);
    c_u8(c, &goal);
    c_str(c, &cmd->u.task.image);
    c_str(c, &cmd->u.task.network);
    c_u32(c, &cmd->u.task.cpus_milli);
    c_u32(c, &cmd->u.task.mem_mb);
    c_str(c, &cmd->u.task.spec);
    cmd->u.task.goal = (enum agora_task_goal)goal;
}

static void codec_observed(struct codec *c, struct agora_cmd *cmd)
{
    uint8_t state = (uint8_t)cmd->u.observed.state;
    c_str(c, &cmd->u.observed.id);
    c_u8(c, &state);
    c_str(c, &cmd->u.observed.agent_id);
    c_str(c, &cmd->u.observed.message);
    cmd->u.observed.state = (enum agora_task_state)state;
}

/* The kind-specific fields, in wire order. */
static void codec_fields(struct codec *c, struct agora_cmd *cmd)
{
    switch (cmd->kind) {
    case AGORA_CMD_MEMBER_JOIN: codec_join(c, cmd); break;
    case AGORA_CMD_MEMBER_LEAVE:
    case AGORA_CMD_MEMBER_EXPIRE: c_str(c, &cmd->u.leave.id); break;
    case AGORA_CMD_LEADER: codec_leader(c, cmd); break;
    case AGORA_CMD_FRAMEWORK_ID: c_str(c, &cmd->u.framework.id); break;
    case AGORA_CMD_TASK_DESIRED: codec_task(c, cmd); break;
    case AGORA_CMD_TASK_OBSERVED: codec_observed(c, cmd); break;
    case AGORA_CMD_TASK_REMOVE: c_str(c, &cmd->u.remove.id); break;
    case AGORA_CMD_CONFIG:
        c_str(c, &cmd->u.config.key);
        c_str(c, &cmd->u.config.value);
        break;
    case AGORA_CMD_NOOP: break;
    }
}

int agora_cmd_encode(const struct agora_cmd *cmd, struct agora_buf *out, char *why,
                     size_t whylen)
{
    int rc = agora_cmd_check_shape(cmd, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    struct agora_cmd copy = *cmd; /* the walk writes back what it reads */
    struct codec c = {.enc = true, .out = out, .rc = AGORA_OK};
    size_t start = out->len;
    uint8_t kind = (uint8_t)copy.kind;
    uint8_t version = AGORA_SM_ENTRY_VERSION;
    c_u8(&c, &kind);
    c_u8(&c, &version);
    c_str(&c, &copy.origin);
    c_u64(&c, &copy.seq);
    codec_fields(&c, &copy);
    if (c.rc != AGORA_OK) {
        out->len = start;
        agora_smi_say(why, whylen, "encoding failed: %s", agora_strerror(c.rc));
    }
    return c.rc;
}

/* Copies the remembered strings into one allocation owned by cmd. */
static int decode_strings(struct codec *c, struct agora_cmd *cmd)
{
    size_t total = 0;
    for (size_t i = 0; i < c->nstr; i++)
        total += (size_t)c->strs[i].n + 1;
    cmd->store_ = agora_malloc(total);
    if (cmd->store_ == NULL)
        return AGORA_ENOMEM;
    char *p = cmd->store_;
    for (size_t i = 0; i < c->nstr; i++) {
        memcpy(p, c->strs[i].p, c->strs[i].n);
        p[c->strs[i].n] = '\0';
        *c->strs[i].dst = p;
        p += (size_t)c->strs[i].n + 1;
    }
    return AGORA_OK;
}

/* Reads header and fields; returns the first structural error. */
static int decode_walk(struct codec *c, struct agora_cmd *cmd, char *why, size_t whylen)
{
    uint8_t kind = agora_rd_u8(&c->rd);
    uint8_t version = agora_rd_u8(&c->rd);
    if (c->rd.err) {
        agora_smi_say(why, whylen, "entry shorter than its header");
        return AGORA_ETRUNC;
    }
    if (version != AGORA_SM_ENTRY_VERSION) {
        agora_smi_say(why, whylen, "entry version %u not supported", (unsigned)version);
        return AGORA_EINVAL;
    }
    if (kind == AGORA_CMD_NOOP || kind > AGORA_CMD_CONFIG) {
        agora_smi_say(why, whylen, "unknown entry kind %u", (unsigned)kind);
        return AGORA_EINVAL;
    }
    cmd->kind = (enum agora_cmd_kind)kind;
    c_str(c, &cmd->origin);
    c_u64(c, &cmd->seq);
    codec_fields(c, cmd);
    if (c->rd.err) {
        agora_smi_say(why, whylen, "%s entry truncated", agora_cmd_kind_name(kind));
        return AGORA_ETRUNC;
    }
    if (agora_rd_left(&c->rd) != 0) {
        agora_smi_say(why, whylen, "%zu trailing bytes after %s entry", agora_rd_left(&c->rd),
                      agora_cmd_kind_name(kind));
        return AGORA_ECORRUPT;
    }
    if (c->nul) {
        agora_smi_say(why, whylen, "%s entry has a NUL byte inside a string",
                      agora_cmd_kind_name(kind));
        return AGORA_EINVAL;
    }
    return AGORA_OK;
}

int agora_cmd_decode(struct agora_cmd *cmd, const uint8_t *data, size_t len, char *why,
                     size_t whylen)
{
    agora_cmd_init(cmd);
    struct codec c = {.enc = false, .rc = AGORA_OK};
    agora_rd_init(&c.rd, data, len);
    int rc = decode_walk(&c, cmd, why, whylen);
    if (rc == AGORA_OK)
        rc = decode_strings(&c, cmd);
    if (rc == AGORA_OK)
        rc = agora_cmd_check_shape(cmd, why, whylen);
    if (rc != AGORA_OK)
        agora_cmd_clear(cmd);
    return rc;
}
