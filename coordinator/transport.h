/* transport.h: how an agorad reaches the acceptors (DESIGN.md section 2,
 * Transport). One interface, two implementations:
 *
 *   transport_inproc.c  real core acceptors (agora_acceptor_*) in this
 *                       process, on the loop's clock: the deterministic
 *                       tests;
 *   transport_brick.c   one native RPC connection per brick (brick_client.h),
 *                       each driven by its own thread (see below).
 *
 * The contract that makes "a dead or hung brick never stalls a commit":
 *   - send() never blocks and never calls back synchronously: it queues the
 *     request and returns. The proposer sends to every acceptor at once and
 *     proceeds on the first quorum of replies.
 *   - Replies arrive later, on the loop's thread, through on_reply. A reply
 *     may never arrive (brick down, request dropped): the proposer's timers
 *     retransmit, so a transport may drop requests rather than queue without
 *     bound.
 *   - Requests and replies are opaque bytes: for kind PAXOS an encoded
 *     agora_msg (msg.h), for kind CONTROL an encoded agora_ctl (control.h).
 *     Authentication (the sealed envelope, auth.h) is the transport's job:
 *     the brick transport seals each request with the cluster key, its own
 *     node id, tag and a per-brick increasing seq, and opens each reply;
 *     a reply that fails authentication is reported as AGD_TR_AUTH.
 *
 * The brick transport's threads (designed here, built with brick_client.h):
 * per brick, a bounded request queue (mutex + condvar, AGD_TR_QUEUE_MAX
 * entries; when full, the oldest request is dropped and counted) and one
 * thread that pops a request, makes the blocking brick call, and pushes
 * the result onto a shared reply queue, then writes to an eventfd that the
 * loop watches. The loop's callback drains the reply queue and calls
 * on_reply. A brick that hangs holds only its own thread; its queue fills
 * and drops, and brick_info() shows it unreachable. */
#ifndef AGD_TRANSPORT_H
#define AGD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "agora/common.h"

#define AGD_TR_QUEUE_MAX 64

enum agd_tr_kind {
    AGD_TR_PAXOS = 1,       /* == AGORA_ENV_PAXOS */
    AGD_TR_CONTROL = 2,     /* == AGORA_ENV_CONTROL */
};

enum agd_tr_status {
    AGD_TR_OK = 0,          /* data/len hold the reply */
    AGD_TR_UNREACHABLE = 1, /* the brick could not be reached */
    AGD_TR_AUTH = 2,        /* the brick refused us (EACCES) or its reply failed the MAC */
    AGD_TR_ERROR = 3,       /* anything else (malformed reply, I/O error) */
};

struct agd_reply {
    uint32_t acceptor;      /* index of the brick */
    uint8_t kind;
    uint64_t cookie;        /* as given to send() */
    int status;             /* enum agd_tr_status */
    const uint8_t *data;    /* valid during the callback only */
    size_t len;
};

typedef void agd_reply_fn(void *ctx, const struct agd_reply *r);

/* What agoractl status shows of a brick. */
struct agd_brick_info {
    char name[128];         /* "host:/path" */
    int reachable;          /* last request answered */
    agora_time_t last_ok;   /* when (loop clock), 0 = never */
    uint64_t sent, answered, dropped;
};

struct agd_transport;

struct agd_transport_ops {
    /* Queues req for acceptor `to`; copies the bytes. Returns 0, or -1 if
     * the request was dropped at once (the caller treats it as lost). */
    int (*send)(struct agd_transport *t, uint32_t to, uint8_t kind, const uint8_t *req,
                size_t len, uint64_t cookie);
    void (*info)(struct agd_transport *t, uint32_t i, struct agd_brick_info *out);
    /* Stops the threads, drops what is queued, frees t. */
    void (*close)(struct agd_transport *t);
};

struct agd_transport {
    const struct agd_transport_ops *ops;
    uint32_t n;             /* number of acceptors */
    agd_reply_fn *on_reply; /* set by the owner before the first send */
    void *reply_ctx;
};

static inline int agd_tr_send(struct agd_transport *t, uint32_t to, uint8_t kind,
                              const uint8_t *req, size_t len, uint64_t cookie)
{
    return t->ops->send(t, to, kind, req, len, cookie);
}

static inline void agd_tr_close(struct agd_transport *t)
{
    if (t != NULL)
        t->ops->close(t);
}

#endif
