/* worker_int.h: what the worker_*.c files of the control protocol share
 * (docs/translator.md, "Inside: the worker and the write-ahead log").
 * agora.h declares what the rest of the translator calls; this header is
 * for the worker's own files:
 *
 *   worker.c         the request queue and the worker thread: a batch is
 *                    handled, made durable, unwound, then learned
 *   worker_handle.c  one request: authentication, (tag, seq) freshness, the
 *                    Paxos step (main log or a named lease), the reply
 *   worker_regs.c    the membership registers: HEARTBEAT, SUBMIT, POLL
 *   worker_wal.c     the write-ahead log file: recovery at start, the
 *                    batch's append and fdatasync, the compacted image's
 *                    replacement of the file
 *   worker_learn.c   applying committed entries to the state machine, and
 *                    compaction (snapshot + tail)
 *   worker_status.c  status.json
 */
#ifndef AGORA_WORKER_INT_H
#define AGORA_WORKER_INT_H

#include <stdint.h>

#include "agora.h"
#include "agora/control.h"
#include "agora/envelope.h"

static inline void agora_refuse(struct agora_req *req, int err)
{
    req->op_ret = -1;
    req->op_errno = err;
}

/* worker_handle.c: authenticates and executes one request; write-ahead
 * bytes of the main log go to wal. Lock held. */
void agora_handle(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                  struct agora_buf *wal);

/* worker_regs.c: the registers' requests. Lock held. */
int agora_reg_heartbeat(struct agora_priv *priv, const struct agora_env *env,
                        const struct agora_ctl *in, struct agora_ctl *out, uint64_t now);
int agora_reg_submit(struct agora_priv *priv, const struct agora_ctl *in, struct agora_ctl *out,
                     uint64_t now);
int agora_reg_poll(struct agora_priv *priv, const struct agora_ctl *in, struct agora_ctl *out,
                   uint64_t now);

/* worker_wal.c: appends the batch's records and fdatasyncs, without the
 * lock (the worker is the only writer of the file); then, under it, the
 * accounting. Returns 0 or -errno (and the acceptor stops serving); sets
 * *durable_real once the write and the sync are over. */
int agora_wal_append(xlator_t *this, struct agora_priv *priv, const struct agora_buf *wal,
                     uint64_t *durable_real);
/* worker_wal.c: replaces the file by image (written to acceptor.wal.new,
 * synced, renamed, the folder synced). Returns 0, or -1 with the old file
 * kept (it replays to the same state). Lock held. */
int agora_wal_replace(xlator_t *this, struct agora_priv *priv, const struct agora_buf *image);

/* worker_learn.c: applies every committed entry not yet applied (and a newer
 * snapshot the acceptor holds); drops queued requests the state shows
 * applied. Lock held. */
void agora_learn(xlator_t *this, struct agora_priv *priv);
/* worker_learn.c: replaces the log by SNAPSHOT + tail once enough is
 * committed and applied. Lock held. */
void agora_maybe_compact(xlator_t *this, struct agora_priv *priv);

#endif
