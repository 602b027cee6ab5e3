/* worker_learn.c: the learner (worker_int.h): committed entries applied to
 * the state machine in slot order (a newer snapshot restored first), queued
 * requests dropped once applied, and compaction: when the committed and
 * applied prefix grows past compact-entries, the state machine's snapshot
 * replaces it in the log (worker_wal.c writes the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glusterfs/common-utils.h>
#include <glusterfs/logging.h>
#include <glusterfs/syscall.h>

#include "agora.h"
#include "agora/control.h"
#include "agora/envelope.h"
#include "agora/render.h"
#include "worker_int.h"

/* The snapshot comes from INSTALL or recovery. */
void agora_learn(xlator_t *this, struct agora_priv *priv)
{
    struct agora_acceptor *a = &priv->acc;
    char why[256];
    if (a->snap_index > agora_sm_applied(&priv->sm) && a->snap != NULL) {
        int rc = agora_sm_restore(&priv->sm, a->snap, a->snap_len);
        if (rc != AGORA_OK)
            gf_msg(this->name, GF_LOG_ERROR, 0, 0,
                   "cannot restore the state machine from the snapshot at index %" PRIu64
                   ": %s",
                   a->snap_index, agora_strerror(rc));
    }
    while (agora_sm_applied(&priv->sm) < a->commit) {
        uint64_t slot = agora_sm_applied(&priv->sm) + 1;
        const struct agora_entry *e = agora_log_get(&a->log, slot);
        if (e == NULL) {
            gf_msg(this->name, GF_LOG_ERROR, 0, 0,
                   "committed slot %" PRIu64 " is missing from the log (commit %" PRIu64
                   "): applying stops there",
                   slot, a->commit);
            break;
        }
        why[0] = '\0';
        int rc = agora_sm_apply(&priv->sm, slot, e->data, e->len, why, sizeof(why));
        if (rc == AGORA_ENOMEM)
            break;
        if (rc == AGORA_OK || rc == AGORA_ESTALE) {
            priv->c.applied_ok++;
        } else {
            priv->c.applied_rejected++;
            gf_msg(this->name, GF_LOG_INFO, 0, 0, "slot %" PRIu64 " rejected by the state machine: %s",
                   slot, why);
        }
    }
    /* queued requests are dropped once the state shows them applied */
    size_t keep = 0;
    for (size_t i = 0; i < priv->n_queued; i++) {
        struct agora_queued *q = &priv->queued[i];
        if (agora_sm_last_seq(&priv->sm, q->origin) >= q->seq) {
            GF_FREE(q->origin);
            GF_FREE(q->data);
            continue;
        }
        priv->queued[keep++] = *q;
    }
    priv->n_queued = keep;
}

/* The worker is the only writer of the file. */
void agora_maybe_compact(xlator_t *this, struct agora_priv *priv)
{
    struct agora_acceptor *a = &priv->acc;
    uint64_t upto = agora_sm_applied(&priv->sm);
    if (upto > a->commit)
        upto = a->commit;
    if (priv->compact_entries == 0 || upto < a->snap_index + priv->compact_entries)
        return;
    struct agora_buf snap, image;
    agora_buf_init(&snap);
    agora_buf_init(&image);
    int rc = agora_sm_snapshot(&priv->sm, &snap);
    if (rc == AGORA_OK)
        rc = agora_acceptor_compact(a, upto, snap.data, (uint32_t)snap.len, &image);
    if (rc != AGORA_OK) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0, "compaction at %" PRIu64 " failed: %s", upto,
               agora_strerror(rc));
        goto out;
    }
    if (agora_wal_replace(this, priv, &image) != 0)
        goto out;
    priv->c.compactions++;
    gf_msg(this->name, GF_LOG_INFO, 0, 0,
           "compacted the log: snapshot at %" PRIu64 " (%zu bytes), new log %zu bytes", upto,
           snap.len, image.len);
out:
    agora_buf_free(&snap);
    agora_buf_free(&image);
}
