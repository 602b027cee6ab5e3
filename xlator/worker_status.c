/* worker_status.c: status.json (worker_int.h), the brick's state for
 * agora-xlctl status and agoractl status --json: the options, the acceptor,
 * the lease, the registers, the counters and the freshness stages of the
 * last applied batch.
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

int agora_status_json(xlator_t *this, struct agora_buf *out)
{
    struct agora_priv *priv = this->private;
    struct agora_acceptor *a = &priv->acc;
    uint64_t now = agora_now_mono();
    agora_time_t left = 0;
    uint32_t holder = agora_acceptor_lease(a, now, &left);
    uint64_t quiet = a->quiet_until > now ? a->quiet_until - now : 0;
    const struct agora_counters *c = &priv->c;
    int rc = agora_buf_printf(
        out,
        "{\n  \"brick\": ");
    rc |= agora_json_put_str(out, priv->brick_dir, strlen(priv->brick_dir));
    rc |= agora_buf_printf(out, ",\n  \"options\": {\"key_file\": ");
    rc |= agora_json_put_str(out, priv->key_file, strlen(priv->key_file));
    rc |= agora_buf_printf(out,
                           ", \"lease_ms\": %u, \"max_request_bytes\": %" PRIu64
                           ", \"max_entry_bytes\": %u, \"allow_key_options\": %s, "
                           "\"view_name\": ",
                           priv->lease_ms, priv->max_request_bytes, priv->max_entry_bytes,
                           priv->allow_key_options ? "true" : "false");
    rc |= agora_json_put_str(out, priv->view_name, strlen(priv->view_name));
    rc |= agora_buf_printf(out, ", \"queue_max\": %u, \"compact_entries\": %u}",
                           priv->queue_max, priv->compact_entries);
    rc |= agora_buf_printf(
        out,
        ",\n  \"acceptor\": {\"ok\": %s, \"promised\": {\"round\": %" PRIu64 ", \"node\": %u}, "
        "\"commit\": %" PRIu64 ", \"snapshot\": %" PRIu64 ", \"last_slot\": %" PRIu64
        ", \"log_bytes\": %" PRIu64 ", \"restart_quiet_ms\": %" PRIu64 "},\n"
        "  \"lease\": {\"holder\": %u, \"left_ms\": %" PRIu64 ", \"duration_ms\": %u},\n"
        "  \"applied\": %" PRIu64 ",\n"
        "  \"key\": %s,\n"
        "  \"registers\": {\"members\": %zu, \"queued\": %zu},\n"
        "  \"counters\": {\"requests\": %" PRIu64 ", \"rejections\": %" PRIu64
        ", \"auth_failures\": %" PRIu64 ", \"replays\": %" PRIu64 ", \"malformed\": %" PRIu64
        ", \"too_big\": %" PRIu64 ", \"paxos\": %" PRIu64 ", \"control\": %" PRIu64
        ", \"heartbeats\": %" PRIu64 ", \"submits\": %" PRIu64 ", \"polls\": %" PRIu64
        ", \"batches\": %" PRIu64 ", \"max_batch\": %" PRIu64 ", \"fsyncs\": %" PRIu64
        ", \"fsync_us_avg\": %" PRIu64 ", \"fsync_us_max\": %" PRIu64
        ", \"request_us_avg\": %" PRIu64 ", \"request_us_max\": %" PRIu64
        ", \"applied_ok\": %" PRIu64 ", \"applied_rejected\": %" PRIu64
        ", \"compactions\": %" PRIu64 ", \"upcalls\": %" PRIu64 ", \"erofs\": %" PRIu64 "},\n"
        "  \"fresh\": {\"applied\": %" PRIu64 ", \"batch_real_ns\": %" PRIu64
        ", \"durable_real_ns\": %" PRIu64 ", \"applied_real_ns\": %" PRIu64
        ", \"publish_real_ns\": %" PRIu64 ", \"upcall_real_ns\": %" PRIu64
        ", \"render_us\": %" PRIu64 ", \"upcalls\": %" PRIu64 "},\n"
        "  \"uptime_ms\": %" PRIu64 "\n}\n",
        priv->acceptor_ok ? "true" : "false", a->promised.round, a->promised.node, a->commit,
        a->snap_index, agora_log_last(&a->log), priv->wal_size, quiet / 1000000, holder,
        (uint64_t)left / 1000000, priv->lease_ms, agora_sm_applied(&priv->sm),
        priv->key.len ? "true" : "false", priv->n_members, priv->n_queued, c->requests,
        c->rejections, c->auth_failures, c->replays, c->malformed, c->too_big, c->paxos,
        c->control, c->heartbeats, c->submits, c->polls, c->batches, c->max_batch, c->fsyncs,
        c->fsyncs ? c->fsync_ns_total / c->fsyncs / 1000 : 0, c->fsync_ns_max / 1000,
        c->requests ? c->fop_ns_total / c->requests / 1000 : 0, c->fop_ns_max / 1000,
        c->applied_ok, c->applied_rejected, c->compactions, c->upcalls, c->erofs,
        priv->fresh.applied, priv->fresh.batch_real, priv->fresh.durable_real,
        priv->fresh.applied_real, priv->fresh.publish_real, priv->fresh.upcall_real,
        priv->fresh.render_ns / 1000, priv->fresh.upcalls, (now - priv->started) / 1000000);
    return rc ? AGORA_ENOMEM : AGORA_OK;
}
