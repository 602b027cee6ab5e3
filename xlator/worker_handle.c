/* worker_handle.c: one request (worker_int.h): the envelope's MAC under
 * the cluster key, the sender's (tag, seq) freshness, then the step: the
 * core acceptor (its write-ahead records go to the batch), a named lease's
 * acceptor (group_table.h), or the registers (worker_regs.c); the reply is
 * sealed into the request for the worker to unwind.
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

#define SENDERS_MAX 4096

/* True when (tag, seq) is above everything accepted from sender; records it.
 * Lock held. */
static bool fresh(struct agora_priv *priv, uint32_t sender, uint64_t tag, uint64_t seq)
{
    for (size_t i = 0; i < priv->n_senders; i++) {
        struct agora_sender *s = &priv->senders[i];
        if (s->id != sender)
            continue;
        if (agora_env_cmp_seq(tag, seq, s->tag, s->seq) <= 0)
            return false;
        s->tag = tag;
        s->seq = seq;
        return true;
    }
    if (priv->n_senders >= SENDERS_MAX)
        return false;
    struct agora_sender *n =
        agora_grow(priv->senders, (priv->n_senders + 1) * sizeof(*n));
    if (n == NULL)
        return false;
    priv->senders = n;
    n[priv->n_senders++] = (struct agora_sender){.id = sender, .tag = tag, .seq = seq};
    return true;
}

/* Seals a reply envelope into req. Lock held. */
static void seal_reply(struct agora_priv *priv, struct agora_req *req,
                       const struct agora_env *in, const struct agora_buf *body)
{
    struct agora_env e = {.kind = in->kind,
                          .sender = 0,
                          .tag = in->tag,
                          .seq = in->seq,
                          .body = body->data,
                          .body_len = (uint32_t)body->len};
    struct agora_buf out;
    agora_buf_init(&out);
    if (agora_env_seal(&priv->key, &e, &out) != AGORA_OK) {
        agora_buf_free(&out);
        agora_refuse(req, ENOMEM);
        return;
    }
    req->reply = GF_MALLOC(out.len, gf_agora_mt_reply);
    if (req->reply == NULL) {
        agora_refuse(req, ENOMEM);
    } else {
        memcpy(req->reply, out.data, out.len);
        req->reply_len = out.len;
        req->op_ret = 0;
    }
    agora_buf_free(&out);
}

/* Decodes msg, checks it and steps acc; the encoded reply goes to body.
 * Returns 0 or the errno to refuse with. Lock held. */
static int paxos_step(xlator_t *this, struct agora_priv *priv, struct agora_acceptor *acc,
                      const struct agora_env *env, const uint8_t *msg, size_t len, uint64_t now,
                      struct agora_buf *wal, struct agora_buf *body)
{
    struct agora_msg in, reply;
    if (agora_msg_decode(msg, len, &in) != AGORA_OK) {
        priv->c.malformed++;
        return EINVAL;
    }
    priv->c.paxos++;
    /* a proposer speaks for itself only: its ballots carry its node id */
    bool bad = in.from != env->sender ||
               (in.type != AGORA_MSG_FETCH && in.ballot.node != env->sender);
    for (uint32_t i = 0; i < in.n_entries && !bad; i++)
        if (in.entries[i].len > priv->max_entry_bytes) {
            priv->c.too_big++;
            agora_msg_clear(&in);
            return EFBIG;
        }
    if (bad || (in.type != AGORA_MSG_PREPARE && in.type != AGORA_MSG_ACCEPT &&
                in.type != AGORA_MSG_INSTALL && in.type != AGORA_MSG_FETCH &&
                in.type != AGORA_MSG_RELEASE)) {
        priv->c.malformed++;
        agora_msg_clear(&in);
        return EINVAL;
    }
    size_t mark = wal->len;
    int rc = agora_acceptor_step(acc, now, &in, &reply, wal);
    if (rc != AGORA_OK) {
        wal->len = mark;
        gf_msg(this->name, GF_LOG_ERROR, 0, 0, "acceptor step %s failed: %s",
               agora_msg_type_name(in.type), agora_strerror(rc));
        agora_msg_clear(&in);
        return rc == AGORA_ENOMEM ? ENOMEM : EINVAL;
    }
    if (reply.type == AGORA_MSG_REJECT)
        priv->c.rejections++;
    reply.from = in.to; /* the acceptor index, as the coordinator numbers bricks */
    rc = agora_msg_encode(&reply, body) == AGORA_OK ? 0 : ENOMEM;
    agora_msg_clear(&reply);
    agora_msg_clear(&in);
    return rc;
}

static void do_paxos(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                     const struct agora_env *env, uint64_t now, struct agora_buf *wal)
{
    struct agora_buf body;
    agora_buf_init(&body);
    int err = paxos_step(this, priv, &priv->acc, env, env->body, env->body_len, now, wal, &body);
    if (err != 0)
        agora_refuse(req, err);
    else
        seal_reply(priv, req, env, &body);
    agora_buf_free(&body);
}

/* A named lease's message (kind PAXOS_GROUP): the same acceptor step on the
 * group's own acceptor and log; the reply echoes the name. */
static void do_group(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                     const struct agora_env *env, uint64_t now)
{
    char name[AGORA_GROUP_NAME_MAX + 1];
    const uint8_t *msg;
    size_t len;
    int err = 0;
    if (agora_env_group_split(env->body, env->body_len, name, &msg, &len) != AGORA_OK) {
        priv->c.malformed++;
        agora_refuse(req, EINVAL);
        return;
    }
    struct agora_group *g =
        priv->groups_ok ? agora_groups_get(&priv->groups, name, now, &err) : NULL;
    if (g == NULL || !g->ok) {
        if (err == -ENOSPC)
            gf_msg(this->name, GF_LOG_WARNING, 0, 0,
                   "named lease %s refused: the brick holds %d already", name,
                   AGORA_GROUPS_MAX);
        agora_refuse(req, err == -ENOSPC ? ENOSPC : EIO);
        return;
    }
    g->requests++;
    struct agora_buf body, wrapped;
    agora_buf_init(&body);
    agora_buf_init(&wrapped);
    err = paxos_step(this, priv, &g->acc, env, msg, len, now, &g->pending, &body);
    if (err == 0 && agora_env_group_wrap(name, body.data, body.len, &wrapped) != AGORA_OK)
        err = ENOMEM;
    if (err != 0) {
        agora_refuse(req, err);
    } else {
        req->group = g;
        seal_reply(priv, req, env, &wrapped);
    }
    agora_buf_free(&body);
    agora_buf_free(&wrapped);
}

static void do_control(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                       const struct agora_env *env, uint64_t now)
{
    struct agora_ctl in, out;
    struct agora_buf body;
    int rc;
    if (agora_ctl_decode(env->body, env->body_len, &in) != AGORA_OK) {
        priv->c.malformed++;
        agora_refuse(req, EINVAL);
        return;
    }
    priv->c.control++;
    agora_ctl_init(&out);
    agora_buf_init(&body);
    switch (in.type) {
    case AGORA_CTL_HEARTBEAT: rc = agora_reg_heartbeat(priv, env, &in, &out, now); break;
    case AGORA_CTL_SUBMIT: rc = agora_reg_submit(priv, &in, &out, now); break;
    case AGORA_CTL_POLL: rc = agora_reg_poll(priv, &in, &out, now); break;
    case AGORA_CTL_STATUS:
        out.type = AGORA_CTL_STATUS_REPLY;
        rc = agora_status_json(this, &body);
        if (rc == AGORA_OK)
            rc = agora_ctl_set_data(&out, body.data, (uint32_t)body.len);
        agora_buf_reset(&body);
        break;
    default:
        rc = AGORA_EINVAL;
        break;
    }
    if (rc == AGORA_OK)
        rc = agora_ctl_encode(&out, &body);
    if (rc == AGORA_OK)
        seal_reply(priv, req, env, &body);
    else
        agora_refuse(req, rc == AGORA_ENOMEM ? ENOMEM : EINVAL);
    if (rc == AGORA_EINVAL)
        priv->c.malformed++;
    agora_buf_free(&body);
    agora_ctl_clear(&out);
    agora_ctl_clear(&in);
}

void agora_handle(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                   struct agora_buf *wal)
{
    struct agora_env env;
    uint64_t now = agora_now_mono();
    priv->c.requests++;
    if (priv->key.len == 0) {
        priv->c.auth_failures++;
        agora_refuse(req, EACCES);
        if (!priv->nokey_logged) {
            /* said once (and again after each reconfigure): not per request */
            priv->nokey_logged = true;
            gf_msg(this->name, GF_LOG_WARNING, 0, 0,
                   "refusing control requests with EACCES: no cluster key (%s)",
                   priv->key_why);
        }
        return;
    }
    if (!priv->acceptor_ok) {
        agora_refuse(req, EIO);
        return;
    }
    int rc = agora_env_open(&priv->key, req->bytes, req->len,
                            (uint32_t)priv->max_request_bytes, &env);
    if (rc == AGORA_EAUTH) {
        priv->c.auth_failures++;
        gf_msg(this->name, GF_LOG_WARNING, 0, 0,
               "refused a control request with a wrong MAC (%" PRIu64 " authentication "
               "failures so far)",
               priv->c.auth_failures);
        agora_refuse(req, EACCES);
        return;
    }
    if (rc != AGORA_OK || env.sender == 0) {
        priv->c.malformed++;
        agora_refuse(req, rc == AGORA_ETOOBIG ? EFBIG : EINVAL);
        return;
    }
    if (!fresh(priv, env.sender, env.tag, env.seq)) {
        /* a replay, or an old request overtaken by a newer one */
        priv->c.replays++;
        agora_refuse(req, EALREADY);
        return;
    }
    if (env.kind == AGORA_ENV_PAXOS)
        do_paxos(this, priv, req, &env, now, wal);
    else if (env.kind == AGORA_ENV_PAXOS_GROUP)
        do_group(this, priv, req, &env, now);
    else
        do_control(this, priv, req, &env, now);
}
