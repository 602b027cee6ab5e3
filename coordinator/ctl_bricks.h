/* ctl_bricks.h: agoractl's access to the bricks, on its own (DESIGN.md
 * section 2): agorad.json gives the volume (or the bricks) and the cluster
 * key; requests go to every brick in parallel through the same transport as
 * agorad's (transport_brick.h), each with a deadline, so a dead or hung
 * brick only shows as unreachable.
 *
 * agoractl speaks as node id + 2^31 (the bricks keep the highest (tag, seq)
 * per sender: agoractl must not share agorad's sender id), with its start
 * time as tag. It learns the committed log as a learner does: FETCH from
 * the brick with the highest commit index, snapshot and entries. */
#ifndef AGD_CTL_BRICKS_H
#define AGD_CTL_BRICKS_H

#include "agora/control.h"
#include "agora/msg.h"
#include "agora/sm.h"
#include "conf.h"
#include "ctl.h"
#include "loop.h"
#include "transport.h"

#define CTL_TIMEOUT_MS 3000
#define CTL_CONNECT_MS 2000   /* how long a brick may take to connect */
#define CTL_GRACE_MS 300      /* once a quorum answered, the others get this long */
#define CTL_SENDER_BIT 0x80000000u

struct ctl_reply {
    int status;                   /* enum agd_tr_status; -1: no answer in time */
    uint8_t *data;
    size_t len;
};

struct ctl_conn {
    struct agd_config cfg;
    struct agd_loop *loop;
    struct agd_transport *tr;
    uint32_t sender;
    uint64_t tag, seq;
    struct ctl_reply r[AGD_MAX_BRICKS];
};

/* Loads the config, finds the bricks, starts the transport. Returns
 * CTL_OK, or an exit code (CTL_CONFIG, CTL_FAIL) with a message printed. */
int ctl_connect(const struct ctl_opts *o, struct ctl_conn *c);

/* Sends the encoded body of `kind` to every brick; waits until all
 * answered or timeout_ms. Replies in c->r (replaced at each call). Returns
 * the number of bricks that answered AGD_TR_OK. */
int ctl_call(struct ctl_conn *c, uint8_t kind, const struct agora_buf *body, int timeout_ms);

/* The same for a control message. */
int ctl_call_ctl(struct ctl_conn *c, const struct agora_ctl *m, int timeout_ms);

/* Learns the committed state from the most advanced brick into *sm (an
 * initialised, empty state). *commit gets that brick's commit index.
 * Returns CTL_OK or CTL_NO_LEADER (no brick answered). */
int ctl_learn(struct ctl_conn *c, struct agora_sm *sm, uint64_t *commit);

/* The same, keeping every committed entry from `from` on (for `log`): the
 * caller frees them with agora_log_free. *snap_index: the first slot that
 * may be shown is snap_index + 1. */
int ctl_learn_log(struct ctl_conn *c, uint64_t from, struct agora_log *entries,
                  uint64_t *commit, uint64_t *snap_index);

/* The subcommands over the bricks (ctl_views.c, ctl_log.c, ctl_write.c). */
int ctl_status_bricks(const struct ctl_opts *o, struct ctl_conn *c);
int ctl_members_bricks(const struct ctl_opts *o, struct ctl_conn *c);
int ctl_render_bricks(const struct ctl_opts *o, struct ctl_conn *c, const char *file);
int ctl_log_bricks(const struct ctl_opts *o, struct ctl_conn *c);
int ctl_join_bricks(struct ctl_conn *c, int argc, char **argv);
int ctl_leave_bricks(struct ctl_conn *c, int argc, char **argv);

/* Removes the private folder, flushes stdio and _exit()s: the brick
 * threads may still be in a call (docs/coordinator.md). */
void ctl_exit(int rc) __attribute__((noreturn));

#endif
