/* control.h: the brick's membership registers (DESIGN.md section 3) as
 * messages, pure. Members heartbeat to every brick and queue requests (join,
 * leave, agoractl writes) there; the leader polls a quorum of bricks, commits
 * `expire` for a member silent longer than its TTL and commits each queued
 * request once by (origin, seq). Neither is a log entry: the registers live in
 * the brick's memory only. Byte layout in docs/wire-format.md.
 *
 *   HEARTBEAT  member -> brick   member id
 *   SUBMIT     member -> brick   one encoded agora_cmd (sm.h) with origin, seq
 *   POLL       leader -> brick   the leader's ballot (fence: refused below the
 *                                brick's promise)
 *   STATUS     anyone with the key -> brick
 *   ACK        brick -> sender   status code and reason (HEARTBEAT, SUBMIT, or a
 *                                refused POLL with the brick's promise)
 *   REGISTERS  brick -> leader   every member seen (age on the brick's clock,
 *                                count) and every queued request not yet applied
 *   STATUS_REPLY brick -> sender the brick's status.json
 */
#ifndef AGORA_CONTROL_H
#define AGORA_CONTROL_H

#include "agora/ballot.h"
#include "agora/common.h"

#define AGORA_CTL_VERSION 1u
#define AGORA_CTL_ID_MAX 128u          /* member id bytes */
#define AGORA_CTL_TEXT_MAX 1024u       /* ACK reason bytes */
#define AGORA_CTL_MAX_MEMBERS 1024u
#define AGORA_CTL_MAX_QUEUED 4096u

enum agora_ctl_type {
    AGORA_CTL_HEARTBEAT = 1,
    AGORA_CTL_SUBMIT = 2,
    AGORA_CTL_POLL = 3,
    AGORA_CTL_STATUS = 4,
    AGORA_CTL_ACK = 5,
    AGORA_CTL_REGISTERS = 6,
    AGORA_CTL_STATUS_REPLY = 7,
};
#define AGORA_CTL_TYPE_MAX 7

enum agora_ctl_status {
    AGORA_CTL_OK = 0,
    AGORA_CTL_DUPLICATE = 1, /* SUBMIT: (origin, seq) is already queued */
    AGORA_CTL_APPLIED = 2,   /* SUBMIT: (origin, seq) is already applied */
    AGORA_CTL_FULL = 3,      /* SUBMIT: queue full, retry later */
    AGORA_CTL_INVALID = 4,   /* malformed request (reason says why) */
    AGORA_CTL_FENCED = 5,    /* POLL: ballot below the brick's promise */
};
#define AGORA_CTL_STATUS_MAX 5

struct agora_ctl_member {
    char *id;
    uint32_t sender;         /* node id that sent the last heartbeat */
    uint64_t age;            /* ns since the last heartbeat, brick's clock */
    uint64_t beats;          /* heartbeats counted since the brick started */
};

struct agora_ctl_queued {
    uint64_t age;            /* ns since it was queued */
    uint8_t *data;           /* an encoded agora_cmd */
    uint32_t len;
};

struct agora_ctl {
    uint8_t type;
    uint8_t status;          /* ACK: enum agora_ctl_status */
    char *member;            /* HEARTBEAT: member id */
    char *text;              /* ACK: reason ("" when none) */
    struct agora_ballot ballot; /* POLL: leader's ballot; ACK/REGISTERS: brick's promise */
    uint64_t applied;        /* REGISTERS: brick's applied index */
    uint64_t commit;         /* REGISTERS: brick's commit index */
    uint8_t *data;           /* SUBMIT: encoded agora_cmd; STATUS_REPLY: JSON */
    uint32_t len;
    struct agora_ctl_member *members; /* REGISTERS */
    uint32_t n_members;
    struct agora_ctl_queued *queued;  /* REGISTERS */
    uint32_t n_queued;
};

void agora_ctl_init(struct agora_ctl *c);
void agora_ctl_clear(struct agora_ctl *c);
const char *agora_ctl_type_name(uint8_t type);
const char *agora_ctl_status_name(uint8_t status);

/* Copies into c (replacing what was there). */
int agora_ctl_set_member(struct agora_ctl *c, const char *id, size_t len);
int agora_ctl_set_text(struct agora_ctl *c, const char *text, size_t len);
int agora_ctl_set_data(struct agora_ctl *c, const uint8_t *p, uint32_t len);
int agora_ctl_add_member(struct agora_ctl *c, const char *id, uint32_t sender, uint64_t age,
                         uint64_t beats);
int agora_ctl_add_queued(struct agora_ctl *c, uint64_t age, const uint8_t *p, uint32_t len);

int agora_ctl_encode(const struct agora_ctl *c, struct agora_buf *out);
/* Decodes into c (initialised by the call); AGORA_EINVAL if malformed,
 * AGORA_ETOOBIG past the limits above. */
int agora_ctl_decode(const uint8_t *p, size_t len, struct agora_ctl *c);

#endif
