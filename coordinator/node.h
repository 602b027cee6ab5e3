/* node.h: one agorad: a thin shell around the pure proposer (proposer.h)
 * and the state machine (sm.h), driven by the event loop. In the manner of
 * etcd-raft's Ready loop, each turn it
 *   1. feeds replies to agora_proposer_step() as they arrive,
 *   2. calls agora_proposer_ready() and does what it says, in order:
 *      installs a snapshot, sends rd.msgs through the transport, applies
 *      rd.committed to the state machine, reacts to the events (elected,
 *      lease, step down), and sleeps until rd.next;
 *   3. keeps the leader-only command inside the lease (leader_cmd.h).
 * The proposer keeps nothing durable, and neither does the node.
 *
 * Several nodes run in one process in the tests (each with its own loop,
 * on one fake clock); agorad.c runs one. */
#ifndef AGD_NODE_H
#define AGD_NODE_H

#include <stdbool.h>

#include "agora/proposer.h"
#include "agora/sm.h"
#include "conf.h"
#include "leader_cmd.h"
#include "loop.h"
#include "transport.h"

#define AGD_COMPACT_EVERY 4096  /* applied entries between compactions */

struct agd_node_opts {
    const struct agd_config *cfg;  /* kept by pointer: must outlive the node */
    struct agd_loop *loop;
    struct agd_transport *tr;      /* not owned */
    uint64_t tag;                  /* incarnation: differs at every start */
    uint64_t seed;                 /* randomised back-off */
    const char *log_prefix;        /* "" in agorad; "node 2: " in tests */
};

struct agd_node;

int agd_node_new(const struct agd_node_opts *o, struct agd_node **out);

/* Tears the node down at once, like a kill -9 of agorad: the leader
 * command's group is SIGKILLed (and waited for), no RELEASE is sent. */
void agd_node_free(struct agd_node *n);

/* Clean shutdown (SIGTERM): stop the leader command (SIGTERM, grace,
 * SIGKILL), then resign and ask the acceptors to release the lease, so the
 * next leader need not wait a whole lease. done(ctx) is called once all of
 * that is over (or timed out). */
void agd_node_shutdown(struct agd_node *n, void (*done)(void *ctx), void *ctx);

const struct agora_proposer *agd_node_proposer(const struct agd_node *n);
const struct agora_sm *agd_node_sm(const struct agd_node *n);
const struct agd_leader_cmd *agd_node_cmd(const struct agd_node *n);
bool agd_node_holds_lease(const struct agd_node *n);

/* Appends cmd to the log (needs the lease): AGORA_OK, AGORA_ENOTLEADER... */
int agd_node_propose(struct agd_node *n, const struct agora_cmd *cmd);

/* For the node's parts (member.c, inbox.c). */
const struct agd_config *agd_node_config(const struct agd_node *n);
const char *agd_node_prefix(const struct agd_node *n);
struct agd_transport *agd_node_transport(const struct agd_node *n);
struct agd_loop *agd_node_loop(const struct agd_node *n);
/* Asks for a turn as soon as possible. */
void agd_node_poke(struct agd_node *n);

/* A leader duty run at every turn of the node (agorad's launcher,
 * leader_launch.h): turn() gets `leading` (we hold the lease and are not
 * shutting down) and returns when it wants the next turn (UINT64_MAX: no
 * need). The node does not own ctx. */
struct agd_duty {
    agora_time_t (*turn)(void *ctx, agora_time_t now, bool leading);
    void *ctx;
};
void agd_node_set_duty(struct agd_node *n, const struct agd_duty *d);

/* An observer of the node (agorad's client API, client_api.h):
 *   applied(slot, cmd, rc, why): after each slot is applied; cmd is the
 *     decoded entry (NULL for a no-op or an undecodable value), rc what
 *     agora_sm_apply returned (AGORA_OK, AGORA_ESTALE, or a rejection);
 *   turn(now, leading): at the end of every turn, as agd_duty's.
 * Either may be NULL. The node does not own ctx. */
struct agd_observer {
    void (*applied)(void *ctx, uint64_t slot, const struct agora_cmd *cmd, int rc,
                    const char *why);
    void (*turn)(void *ctx, agora_time_t now, bool leading);
    void *ctx;
};
void agd_node_set_observer(struct agd_node *n, const struct agd_observer *o);

#endif
