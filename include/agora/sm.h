/* sm.h: the replicated state machine (DESIGN.md section 3), pure.
 *
 * The value of every committed log slot is an entry (an encoded struct
 * agora_cmd, or zero bytes for a no-op). Every learner applies the committed
 * slots in order with agora_sm_apply(); the same entries give the same state,
 * and the same snapshot bytes, everywhere. An entry that does not decode or
 * breaks a rule is rejected: only `applied` and a counter change. The byte
 * layouts, the rules and the limits are in docs/state-machine.md.
 *
 * Callers read the state through the accessors below; pointers they return
 * stay valid until the next apply, restore or free. */
#ifndef AGORA_SM_H
#define AGORA_SM_H

#include "agora/ballot.h"
#include "agora/common.h"
#include "agora/validate.h"

/* ---- limits (docs/state-machine.md, "Limits") ---------------------------- */

#define AGORA_SM_ENTRY_VERSION 1u
#define AGORA_SM_SNAPSHOT_VERSION 2u   /* 2: config key "cluster"; 1 still restores */

#define AGORA_SM_MAX_MEMBERS 256u
#define AGORA_SM_MAX_TASKS 1024u
#define AGORA_SM_MAX_ORIGINS 1024u    /* exactly-once table entries */

#define AGORA_SM_ID_MAX 128u          /* member, task, group, agent, framework ids */
#define AGORA_SM_IP_MAX 45u           /* IP address text */
#define AGORA_SM_KEY_MAX AGORA_SSHKEY_MAX_DEFAULT /* one authorized_keys line */
#define AGORA_SM_IMAGE_MAX 512u
#define AGORA_SM_SPEC_MAX 8192u       /* opaque task spec (the coordinator's JSON) */
#define AGORA_SM_MESSAGE_MAX 1024u    /* observed status message */
#define AGORA_SM_CONFIG_KEY_MAX 64u
#define AGORA_SM_CONFIG_VALUE_MAX 256u
#define AGORA_SM_ALIAS_PREFIX_MAX 32u
#define AGORA_SM_CPUS_MILLI_MAX 1000000u    /* 1000 cpus */
#define AGORA_SM_MEM_MB_MAX (16u * 1024u * 1024u) /* 16 TiB */
#define AGORA_SM_ALIAS_LEN 64u        /* buffer size for a formatted alias */

/* ---- enumerations (values are part of the entry format) ------------------ */

enum agora_cmd_kind {
    AGORA_CMD_NOOP = 0,            /* only as a zero-length value; never encoded */
    AGORA_CMD_MEMBER_JOIN = 1,
    AGORA_CMD_MEMBER_LEAVE = 2,
    AGORA_CMD_MEMBER_EXPIRE = 3,
    AGORA_CMD_LEADER = 4,
    AGORA_CMD_FRAMEWORK_ID = 5,
    AGORA_CMD_TASK_DESIRED = 6,
    AGORA_CMD_TASK_OBSERVED = 7,
    AGORA_CMD_TASK_REMOVE = 8,
    AGORA_CMD_CONFIG = 9,
};

enum agora_member_kind {
    AGORA_MEMBER_HOST = 1,
    AGORA_MEMBER_CONTAINER = 2,
};

enum agora_task_goal {
    AGORA_GOAL_RUN = 1,
    AGORA_GOAL_STOP = 2,
};

/* Mirrors Mesos TaskState (names "TASK_..."), with our own numbering. */
enum agora_task_state {
    AGORA_TASK_NONE = 0,           /* never observed */
    AGORA_TASK_STAGING = 1,
    AGORA_TASK_STARTING = 2,
    AGORA_TASK_RUNNING = 3,
    AGORA_TASK_KILLING = 4,
    AGORA_TASK_FINISHED = 5,
    AGORA_TASK_FAILED = 6,
    AGORA_TASK_KILLED = 7,
    AGORA_TASK_ERROR = 8,
    AGORA_TASK_LOST = 9,
    AGORA_TASK_DROPPED = 10,
    AGORA_TASK_UNREACHABLE = 11,
    AGORA_TASK_GONE = 12,
    AGORA_TASK_GONE_BY_OPERATOR = 13,
    AGORA_TASK_UNKNOWN = 14,
};
#define AGORA_TASK_STATE_LAST AGORA_TASK_UNKNOWN

/* Configuration keys; the value table is in lib/sm.c. */
enum agora_sm_config_key {
    AGORA_CFG_ALIAS_PREFIX = 0,    /* "alias_prefix", default "cluster-" */
    AGORA_CFG_ALLOW_KEY_OPTIONS,   /* "allow_key_options", "true"|"false", default "false" */
    AGORA_CFG_CLUSTER,             /* "cluster", "up"|"down", default "up" (snapshot v2) */
    AGORA_CFG_LEADER_ALIAS,        /* "leader_alias", default "leader" */
    AGORA_CFG_COUNT
};

/* "member_join", ...; "?" for an unknown kind. */
const char *agora_cmd_kind_name(int kind);
/* "host" / "container"; "?" otherwise. */
const char *agora_member_kind_name(int kind);
/* "run" / "stop"; "?" otherwise. */
const char *agora_task_goal_name(int goal);
/* "TASK_RUNNING", ...; NULL for AGORA_TASK_NONE or out of range. */
const char *agora_task_state_name(int state);
/* Parses a Mesos state name ("TASK_RUNNING"); AGORA_EINVAL if unknown. */
int agora_task_state_parse(const char *name, size_t len, enum agora_task_state *out);

/* ---- entries ------------------------------------------------------------- */

/* One request, as the coordinator builds it and the translator decodes it.
 * Strings are NUL-terminated; NULL means "". A builder points them at its own
 * storage; agora_cmd_decode() points them into cmd->store_, which
 * agora_cmd_clear() frees, so clearing a built cmd is harmless. */
struct agora_cmd {
    enum agora_cmd_kind kind;
    const char *origin;            /* member id of the requester, may be "" */
    uint64_t seq;                  /* requester's sequence number, 0 = none */
    union {
        struct {
            const char *id;
            const char *hostname;
            const char *ip;
            const char *sshkey;    /* one authorized_keys line */
            enum agora_member_kind kind;
        } join;
        struct {
            const char *id;
        } leave;                   /* MEMBER_LEAVE and MEMBER_EXPIRE */
        struct {
            struct agora_ballot ballot;
            const char *id;        /* member id of the leader */
        } leader;
        struct {
            const char *id;        /* "" clears */
        } framework;
        struct {
            const char *id;
            const char *group;
            const char *hostname;  /* "" with ip "": not in hosts */
            const char *ip;
            enum agora_task_goal goal;
            const char *image;
            const char *network;
            uint32_t cpus_milli;
            uint32_t mem_mb;
            const char *spec;      /* opaque to the state machine */
        } task;                    /* TASK_DESIRED */
        struct {
            const char *id;
            enum agora_task_state state;
            const char *agent_id;
            const char *message;
        } observed;                /* TASK_OBSERVED */
        struct {
            const char *id;
        } remove;                  /* TASK_REMOVE */
        struct {
            const char *key;
            const char *value;
        } config;
    } u;
    char *store_;                  /* decode's copy of the strings (private) */
};

/* Zeroes *cmd (kind NOOP). */
void agora_cmd_init(struct agora_cmd *cmd);
/* Frees what decode allocated and zeroes *cmd. */
void agora_cmd_clear(struct agora_cmd *cmd);

/* State-independent checks shared by encode and decode: known kind and enums,
 * lengths within the limits, no NUL inside strings, ids well-formed. */
int agora_cmd_check_shape(const struct agora_cmd *cmd, char *why, size_t whylen);

/* Appends the entry for cmd to out (nothing appended on error). */
int agora_cmd_encode(const struct agora_cmd *cmd, struct agora_buf *out, char *why,
                     size_t whylen);
/* Decodes a non-empty entry. On error *cmd is cleared; AGORA_ENOMEM means
 * "could not tell", every other code means the entry is malformed. */
int agora_cmd_decode(struct agora_cmd *cmd, const uint8_t *data, size_t len, char *why,
                     size_t whylen);

/* ---- state ----------------------------------------------------------------- */

struct agora_member {
    char *id;
    char *hostname;                /* lower-cased */
    char *ip;                      /* canonical text (RFC 5952 for IPv6) */
    struct agora_ip addr;          /* ip, parsed */
    char *key_options;             /* "" when none */
    char *key_type;                /* e.g. "ssh-ed25519" */
    char *key_blob;                /* base64 */
    enum agora_member_kind kind;
    uint32_t alias;                /* N of the stable alias PREFIX-N */
    uint64_t since;                /* slot of the first join */
    uint64_t updated;              /* slot of the last join */
};

struct agora_task {
    char *id;
    char *group;
    char *hostname;                /* lower-cased; "" = none */
    char *ip;                      /* canonical; "" = none */
    struct agora_ip addr;          /* valid when ip is not "" */
    enum agora_task_goal goal;
    char *image;
    char *network;
    uint32_t cpus_milli;
    uint32_t mem_mb;
    char *spec;
    uint64_t desired_slot;         /* slot of the last TASK_DESIRED */
    enum agora_task_state state;   /* AGORA_TASK_NONE until observed */
    char *agent_id;
    char *message;
    uint64_t observed_slot;        /* slot of the last TASK_OBSERVED, 0 = none */
};

/* The last LEADER entry applied, as agora_sm_leader() returns it. */
struct agora_sm_leader {
    struct agora_ballot ballot;    /* zero = no leader yet */
    const char *id;                /* "" when none */
    uint64_t since;                /* slot of the LEADER entry, 0 = none */
};

struct agora_sm_origin {
    char *origin;
    uint64_t seq;                  /* highest seq decided for this origin */
    uint64_t slot;                 /* slot of that decision */
};

/* Every slot applied increments exactly one of ok, noop, rejected, stale. */
struct agora_sm_counters {
    uint64_t ok;                   /* entries that changed the state */
    uint64_t noop;                 /* zero-length values */
    uint64_t rejected;             /* undecodable or invalid */
    uint64_t stale;                /* already applied (origin, seq) */
    uint64_t expired;              /* MEMBER_EXPIRE entries among ok */
};

/* Fields are private: use the accessors. */
struct agora_sm {
    uint64_t applied;
    struct agora_sm_counters counters;
    char *config[AGORA_CFG_COUNT]; /* NULL = default */
    struct agora_ballot leader_ballot;
    char *leader_id;               /* NULL = none */
    uint64_t leader_since;
    char *framework_id;            /* NULL = none */
    struct agora_member *members;  /* sorted by id (strcmp) */
    size_t n_members, cap_members;
    struct agora_task *tasks;      /* sorted by id (strcmp) */
    size_t n_tasks, cap_tasks;
    struct agora_sm_origin *origins; /* sorted by origin (strcmp) */
    size_t n_origins, cap_origins;
};

/* An empty state (applied 0, defaults). Never fails. */
void agora_sm_init(struct agora_sm *sm);
void agora_sm_free(struct agora_sm *sm);

/* Applies the value of `slot`, which must be applied + 1 (else AGORA_EINVAL
 * and nothing changes). Returns
 *   AGORA_OK      applied (a zero-length value is a no-op);
 *   AGORA_ESTALE  (origin, seq) already decided: skipped, applied advances;
 *   AGORA_ENOMEM  nothing changed, applied did not advance: retry the slot
 *                 (never treat it as a rejection, other replicas did not);
 *   other codes   entry rejected (why says why): applied advances, the
 *                 rejected counter grows, (origin, seq) is recorded.
 * why (may be NULL) receives a one-line reason. */
int agora_sm_apply(struct agora_sm *sm, uint64_t slot, const uint8_t *data, uint32_t len,
                   char *why, size_t whylen);

/* What agora_sm_apply() would return for cmd as the next slot, without
 * changing anything (the leader's pre-check of a request). */
int agora_sm_check(const struct agora_sm *sm, const struct agora_cmd *cmd, char *why,
                   size_t whylen);

/* ---- queries ------------------------------------------------------------- */

uint64_t agora_sm_applied(const struct agora_sm *sm);
const struct agora_sm_counters *agora_sm_counters(const struct agora_sm *sm);

size_t agora_sm_member_count(const struct agora_sm *sm);
/* i-th member in id order (strcmp), NULL if out of range. */
const struct agora_member *agora_sm_member_at(const struct agora_sm *sm, size_t i);
const struct agora_member *agora_sm_member_find(const struct agora_sm *sm, const char *id);

size_t agora_sm_task_count(const struct agora_sm *sm);
const struct agora_task *agora_sm_task_at(const struct agora_sm *sm, size_t i);
const struct agora_task *agora_sm_task_find(const struct agora_sm *sm, const char *id);

/* Ballot zero and id "" when no leader was ever recorded. */
struct agora_sm_leader agora_sm_leader(const struct agora_sm *sm);
/* The leader's member record, NULL if none or the leader is not a live member. */
const struct agora_member *agora_sm_leader_member(const struct agora_sm *sm);
/* "" when none. */
const char *agora_sm_framework_id(const struct agora_sm *sm);
/* Highest seq decided for origin, 0 if none. */
uint64_t agora_sm_last_seq(const struct agora_sm *sm, const char *origin);

/* Current value of a configuration key (default if never set). */
const char *agora_sm_config(const struct agora_sm *sm, enum agora_sm_config_key key);
/* "alias_prefix", ...; NULL if out of range. */
const char *agora_sm_config_name(enum agora_sm_config_key key);
bool agora_sm_allow_key_options(const struct agora_sm *sm);
/* Config "cluster" is "down" (`agoractl cluster down`): the leader runs no task. */
bool agora_sm_cluster_down(const struct agora_sm *sm);
/* Formats the alias PREFIX-N of a member into out[outlen]
 * (AGORA_SM_ALIAS_LEN is enough); AGORA_ETOOBIG if short. */
int agora_sm_alias(const struct agora_sm *sm, uint32_t n, char *out, size_t outlen);

/* ---- snapshots (lib/sm_snapshot.c) --------------------------------------- */

/* Appends the deterministic serialisation of the state to out. */
int agora_sm_snapshot(const struct agora_sm *sm, struct agora_buf *out);
/* Replaces the state with a snapshot. Every field is checked as apply would;
 * on any error (AGORA_ETRUNC, AGORA_ECORRUPT, AGORA_EINVAL, AGORA_ENOMEM...)
 * the state is left unchanged. */
int agora_sm_restore(struct agora_sm *sm, const uint8_t *data, size_t len);

#endif
