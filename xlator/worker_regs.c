/* worker_regs.c: the membership registers (worker_int.h), in memory only
 * (DESIGN.md section 3): HEARTBEAT records a member's last beat (the one
 * silent the longest is evicted when the table is full), SUBMIT queues a
 * request once per (origin, seq) up to queue-max, POLL hands a leader both
 * tables (fenced below our promise).
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

#define REG_MAX_MEMBERS AGORA_CTL_MAX_MEMBERS

int agora_reg_heartbeat(struct agora_priv *priv, const struct agora_env *env,
                        const struct agora_ctl *in, struct agora_ctl *out, uint64_t now)
{
    out->type = AGORA_CTL_ACK;
    out->ballot = priv->acc.promised;
    if (in->member == NULL || in->member[0] == '\0') {
        out->status = AGORA_CTL_INVALID;
        return agora_ctl_set_text(out, "empty member id", 15);
    }
    struct agora_member_reg *m = NULL;
    for (size_t i = 0; i < priv->n_members; i++)
        if (strcmp(priv->members[i].id, in->member) == 0)
            m = &priv->members[i];
    if (m == NULL) {
        if (priv->n_members >= REG_MAX_MEMBERS) {
            /* evict the member silent the longest */
            size_t old = 0;
            for (size_t i = 1; i < priv->n_members; i++)
                if (priv->members[i].last < priv->members[old].last)
                    old = i;
            GF_FREE(priv->members[old].id);
            priv->members[old] = priv->members[--priv->n_members];
        }
        struct agora_member_reg *n =
            agora_grow(priv->members, (priv->n_members + 1) * sizeof(*n));
        char *id = gf_strdup(in->member);
        if (n == NULL || id == NULL) {
            GF_FREE(id);
            if (n != NULL)
                priv->members = n;
            return AGORA_ENOMEM;
        }
        priv->members = n;
        m = &n[priv->n_members++];
        memset(m, 0, sizeof(*m));
        m->id = id;
    }
    m->sender = env->sender;
    m->last = now;
    m->beats++;
    m->tag = env->tag;
    m->seq = env->seq;
    priv->c.heartbeats++;
    out->status = AGORA_CTL_OK;
    return AGORA_OK;
}

int agora_reg_submit(struct agora_priv *priv, const struct agora_ctl *in, struct agora_ctl *out,
                     uint64_t now)
{
    struct agora_cmd cmd;
    char why[256] = "";
    out->type = AGORA_CTL_ACK;
    out->ballot = priv->acc.promised;
    priv->c.submits++;
    if (in->len == 0 || in->len > priv->max_entry_bytes) {
        out->status = AGORA_CTL_INVALID;
        snprintf(why, sizeof(why), "request of %u bytes (1 to %u allowed)", in->len,
                 priv->max_entry_bytes);
        return agora_ctl_set_text(out, why, strlen(why));
    }
    int rc = agora_cmd_decode(&cmd, in->data, in->len, why, sizeof(why));
    if (rc == AGORA_ENOMEM)
        return rc;
    if (rc != AGORA_OK || cmd.origin == NULL || cmd.origin[0] == '\0' || cmd.seq == 0) {
        if (rc == AGORA_OK)
            snprintf(why, sizeof(why), "a queued request needs an origin and a sequence number");
        agora_cmd_clear(&cmd);
        out->status = AGORA_CTL_INVALID;
        return agora_ctl_set_text(out, why, strlen(why));
    }
    if (agora_sm_last_seq(&priv->sm, cmd.origin) >= cmd.seq) {
        out->status = AGORA_CTL_APPLIED;
    } else {
        out->status = AGORA_CTL_OK;
        for (size_t i = 0; i < priv->n_queued; i++)
            if (priv->queued[i].seq == cmd.seq && strcmp(priv->queued[i].origin, cmd.origin) == 0)
                out->status = AGORA_CTL_DUPLICATE;
        if (out->status == AGORA_CTL_OK && priv->n_queued >= priv->queue_max)
            out->status = AGORA_CTL_FULL;
    }
    if (out->status == AGORA_CTL_OK) {
        struct agora_queued *n = agora_grow(priv->queued, (priv->n_queued + 1) * sizeof(*n));
        char *origin = gf_strdup(cmd.origin);
        uint8_t *data = GF_MALLOC(in->len, gf_agora_mt_str);
        if (n != NULL)
            priv->queued = n;
        if (n == NULL || origin == NULL || data == NULL) {
            GF_FREE(origin);
            GF_FREE(data);
            agora_cmd_clear(&cmd);
            return AGORA_ENOMEM;
        }
        memcpy(data, in->data, in->len);
        n[priv->n_queued++] = (struct agora_queued){
            .origin = origin, .seq = cmd.seq, .at = now, .data = data, .len = in->len};
    }
    agora_cmd_clear(&cmd);
    return AGORA_OK;
}

int agora_reg_poll(struct agora_priv *priv, const struct agora_ctl *in, struct agora_ctl *out,
                   uint64_t now)
{
    priv->c.polls++;
    /* fencing: a leader's duty carries its ballot; below our promise it is
     * a deposed leader (DESIGN.md section 2) */
    if (agora_ballot_cmp(in->ballot, priv->acc.promised) < 0) {
        out->type = AGORA_CTL_ACK;
        out->status = AGORA_CTL_FENCED;
        out->ballot = priv->acc.promised;
        priv->c.rejections++;
        return AGORA_OK;
    }
    out->type = AGORA_CTL_REGISTERS;
    out->ballot = priv->acc.promised;
    out->applied = agora_sm_applied(&priv->sm);
    out->commit = priv->acc.commit;
    int rc = AGORA_OK;
    for (size_t i = 0; i < priv->n_members && rc == AGORA_OK; i++) {
        struct agora_member_reg *m = &priv->members[i];
        rc = agora_ctl_add_member(out, m->id, m->sender, now - m->last, m->beats);
    }
    for (size_t i = 0; i < priv->n_queued && rc == AGORA_OK; i++) {
        struct agora_queued *q = &priv->queued[i];
        rc = agora_ctl_add_queued(out, now - q->at, q->data, q->len);
    }
    return rc;
}
