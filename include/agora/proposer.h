/* proposer.h: proposer, leader and learner of one agorad (DESIGN.md
 * section 2), pure. The shell calls, in any order:
 *
 *   agora_proposer_step()    for each reply from an acceptor,
 *   agora_proposer_propose() to append a value (leader only),
 *   agora_proposer_resign()  to step down cleanly (SIGTERM),
 *
 * and then agora_proposer_ready(now), which runs the timers and hands back,
 * as data, what to do: messages to send, newly committed entries to apply (in
 * slot order), a snapshot to install, role changes, and when to call again.
 * The proposer keeps nothing durable. */
#ifndef AGORA_PROPOSER_H
#define AGORA_PROPOSER_H

#include "agora/common.h"
#include "agora/log.h"
#include "agora/msg.h"

#define AGORA_MAX_ACCEPTORS 7
#define AGORA_RENEW_WINDOW 64   /* renewals remembered for lease accounting */

struct agora_proposer_config {
    uint32_t id;                /* node id, > 0, unique in the cluster */
    uint64_t tag;               /* incarnation: differs at every start */
    uint64_t seed;              /* for randomised back-off */
    uint32_t n_acceptors;       /* 1 .. AGORA_MAX_ACCEPTORS, quorum = n/2 + 1 */
    agora_time_t lease;         /* the acceptors' lease duration */
    uint32_t drift_permille;    /* margin: leader acts until sent + lease*(1 - m/1000) */
    agora_time_t heartbeat;     /* leader renews / follower polls this often */
    agora_time_t rpc_timeout;   /* a candidate gives up on its PREPARE after this */
    agora_time_t backoff_min;   /* random wait before campaigning */
    agora_time_t backoff_max;
    uint32_t max_batch;         /* entries per ACCEPT message */
    uint32_t max_inflight;      /* uncommitted entries a leader may hold (0: 8 * max_batch);
                                 * bounds the tail the next leader must recover */
    uint32_t window;            /* ACCEPTs an acceptor may have unanswered before the next
                                 * waits for a reply (and takes all that came meanwhile);
                                 * 0: no limit. Heartbeat rounds go regardless. */
    bool campaign;              /* false: learner only, never proposes a ballot */
};

enum agora_role {
    AGORA_FOLLOWER = 0,
    AGORA_CANDIDATE = 1,  /* phase 1 in flight */
    AGORA_LEADER = 2,     /* phase 1 done; holds the lease while now < lease_end */
};

/* Bits of agora_ready.events. */
#define AGORA_EV_ELECTED   0x1u  /* phase 1 succeeded: this node leads `ballot` */
#define AGORA_EV_LEASE     0x2u  /* lease confirmed or extended (see lease_end) */
#define AGORA_EV_STEP_DOWN 0x4u  /* stopped leading (lease lapsed, higher ballot, resign) */
#define AGORA_EV_SNAPSHOT  0x8u  /* install `snap` before applying `committed` */

struct agora_ready {
    struct agora_msg *msgs;       /* to send; msgs[i].to is the acceptor index */
    size_t n_msgs;
    struct agora_entry *committed;/* newly committed, consecutive slots, to apply */
    size_t n_committed;
    uint64_t snap_index;          /* with AGORA_EV_SNAPSHOT */
    uint8_t *snap;
    uint32_t snap_len;
    uint32_t events;
    agora_time_t next;            /* call ready() again no later than this */
};

void agora_ready_clear(struct agora_ready *rd);

struct agora_renewal {
    uint64_t seq;
    agora_time_t sent;
    uint32_t acks;                /* bitmask of acceptors */
};

struct agora_peer {               /* the leader's view of one acceptor */
    uint64_t match;               /* slots <= match hold our values there */
    uint64_t next;                /* next slot to send */
    uint64_t commit;              /* its commit as last reported */
    uint64_t resent_seq;          /* gap repair: rounds up to this one were sent before it */
    uint32_t unanswered;          /* ACCEPTs sent since reset_seq and not answered (window) */
    uint64_t reset_seq;           /* replies to rounds up to this one are not counted */
    bool held;                    /* skipped by a round: its window was full */
    bool promised;
};

struct agora_proposer {
    struct agora_proposer_config cfg;
    enum agora_role role;
    struct agora_ballot ballot;   /* our current ballot (candidate/leader) */
    uint64_t max_round;           /* highest round seen anywhere */
    uint64_t rng;
    uint32_t failures;            /* campaigns lost in a row: back-off grows with it */
    /* learner */
    struct agora_log log;         /* committed entries and, as leader, our proposals */
    uint64_t commit;
    uint64_t applied;             /* handed out through ready() */
    uint64_t snap_index;
    uint8_t *snap;
    uint32_t snap_len;
    bool snap_pending;            /* snapshot to hand out in ready() */
    /* candidate */
    uint32_t promises;            /* bitmask */
    uint32_t rejects;             /* bitmask: refused our PREPARE */
    agora_time_t reject_wait;     /* longest lease or quiet period they reported */
    struct agora_log recovered;   /* highest-ballot accepted value per slot */
    uint64_t from_slot;
    uint64_t prepare_seq;         /* seq of our PREPAREs, to match their replies */
    agora_time_t phase1_deadline;
    /* leader */
    struct agora_peer peers[AGORA_MAX_ACCEPTORS];
    struct agora_renewal renew[AGORA_RENEW_WINDOW];
    agora_time_t lease_end;       /* we hold the lease while now < lease_end */
    agora_time_t step_down_at;
    agora_time_t next_heartbeat;
    bool dirty;                   /* new proposals or commit to send */
    bool resigning;
    /* follower */
    agora_time_t next_campaign;
    agora_time_t next_poll;
    uint32_t lease_holder_seen;   /* last lease holder an acceptor told us of */
    uint32_t lease_free;          /* bitmask: acceptors whose last reply showed no lease */
    /* outbox */
    uint64_t seq;
    struct agora_ready out;
};

int agora_proposer_init(struct agora_proposer *p, const struct agora_proposer_config *cfg,
                        agora_time_t now);
void agora_proposer_free(struct agora_proposer *p);

/* A reply from an acceptor, received at now. Replies from another incarnation
 * (tag), for another ballot or duplicated are ignored. */
int agora_proposer_step(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m);

/* Appends a value (len > 0) as the next slot. Needs role LEADER and the lease
 * (else AGORA_ENOTLEADER), and fewer than max_inflight uncommitted entries
 * (else AGORA_ETOOBIG: retry after some commit). *slot receives its slot; it
 * is committed once ready() hands it out. */
int agora_proposer_propose(struct agora_proposer *p, agora_time_t now, const uint8_t *data,
                           uint32_t len, uint64_t *slot);

/* Steps down at once and asks the acceptors to release our lease. */
void agora_proposer_resign(struct agora_proposer *p, agora_time_t now);

/* Runs timers and moves pending effects into *rd (caller owns; clear it). */
int agora_proposer_ready(struct agora_proposer *p, agora_time_t now, struct agora_ready *rd);

/* True while we lead and the lease is ours: now < lease_end. */
bool agora_proposer_holds_lease(const struct agora_proposer *p, agora_time_t now);

/* The shell applied every slot <= upto and serialised the state into snap:
 * keep it for lagging acceptors and drop those entries. */
int agora_proposer_compact(struct agora_proposer *p, uint64_t upto, const uint8_t *snap,
                           uint32_t len);

#endif
