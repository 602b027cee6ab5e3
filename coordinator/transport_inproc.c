/* transport_inproc.c: real acceptors in this process (transport_inproc.h).
 * The shell around each acceptor does what the translator does: step the
 * request at its arrival time, make the write-ahead bytes "durable" (append
 * them to an in-memory file) and only then reply. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora/msg.h"
#include "agora/proposer.h"
#include "transport_inproc.h"

#define MAX_NODES 32

struct flight {
    struct flight *next;
    uint32_t node, to;
    uint8_t kind;
    uint64_t cookie;
    agora_time_t at;
    uint8_t *data;
    size_t len;
};

struct endpoint {
    struct agd_transport tr;
    struct agd_inproc_net *net;
    uint32_t node;
    uint64_t sent, answered;
    agora_time_t last_ok[AGORA_MAX_ACCEPTORS];
};

struct acc {
    struct agora_acceptor a;
    struct agora_buf wal;       /* the durable log "file" */
    bool up;
};

struct agd_inproc_net {
    struct agd_loop *loop;
    struct agd_timer timer;
    struct agora_acceptor_config cfg;
    uint32_t n;
    struct acc acc[AGORA_MAX_ACCEPTORS];
    struct endpoint *eps[MAX_NODES];
    uint32_t cut[MAX_NODES];    /* bit i: link to acceptor i is cut */
    struct flight *head, *tail;
    agora_time_t latency;
    uint64_t delivered;
};

static void deliver_due(struct agd_loop *l, void *ctx);

struct agd_inproc_net *agd_inproc_net_new(struct agd_loop *l, uint32_t n, agora_time_t lease)
{
    if (n == 0 || n > AGORA_MAX_ACCEPTORS)
        return NULL;
    struct agd_inproc_net *net = calloc(1, sizeof(*net));
    if (net == NULL)
        return NULL;
    net->loop = l;
    net->n = n;
    net->cfg = (struct agora_acceptor_config){.lease = lease, .max_reply_entries = 1024,
                                              .max_reply_bytes = 1u << 20};
    agd_timer_init(&net->timer, deliver_due, net);
    agora_time_t now = agd_loop_now(l);
    for (uint32_t i = 0; i < n; i++) {
        agora_buf_init(&net->acc[i].wal);
        if (agora_acceptor_init(&net->acc[i].a, &net->cfg, i, now) != AGORA_OK) {
            for (uint32_t j = 0; j < i; j++)
                agora_acceptor_free(&net->acc[j].a);
            free(net);
            return NULL;
        }
        net->acc[i].up = true;
    }
    return net;
}

static void drop_flights(struct agd_inproc_net *net, uint32_t node_or_all)
{
    struct flight **pp = &net->head;
    net->tail = NULL;
    while (*pp != NULL) {
        struct flight *f = *pp;
        if (node_or_all == 0 || f->node == node_or_all) {
            *pp = f->next;
            free(f->data);
            free(f);
        } else {
            net->tail = f;
            pp = &f->next;
        }
    }
}

void agd_inproc_net_free(struct agd_inproc_net *net)
{
    if (net == NULL)
        return;
    agd_timer_cancel(net->loop, &net->timer);
    drop_flights(net, 0);
    for (uint32_t i = 0; i < net->n; i++) {
        agora_acceptor_free(&net->acc[i].a);
        agora_buf_free(&net->acc[i].wal);
    }
    free(net);
}

void agd_inproc_set_latency(struct agd_inproc_net *net, agora_time_t latency)
{
    net->latency = latency;
}

int agd_inproc_set_up(struct agd_inproc_net *net, uint32_t i, bool up)
{
    struct acc *a = &net->acc[i];
    if (up == a->up)
        return 0;
    a->up = up;
    if (!up)
        return 0;
    /* A restart: a fresh acceptor (restart rule included) that replays its
     * durable log, as the translator does after a crash. */
    size_t valid = 0;
    agora_acceptor_free(&a->a);
    if (agora_acceptor_init(&a->a, &net->cfg, i, agd_loop_now(net->loop)) != AGORA_OK ||
        agora_acceptor_recover(&a->a, a->wal.data, a->wal.len, &valid) != AGORA_OK)
        return -1;
    a->wal.len = valid;
    return 0;
}

void agd_inproc_cut(struct agd_inproc_net *net, uint32_t node, uint32_t acceptor, bool cut)
{
    if (node >= MAX_NODES)
        return;
    if (cut)
        net->cut[node] |= 1u << acceptor;
    else
        net->cut[node] &= ~(1u << acceptor);
}

const struct agora_acceptor *agd_inproc_acceptor(const struct agd_inproc_net *net, uint32_t i)
{
    return &net->acc[i].a;
}

uint64_t agd_inproc_delivered(const struct agd_inproc_net *net)
{
    return net->delivered;
}

/* --- delivery ------------------------------------------------------------------ */

static bool reachable(const struct agd_inproc_net *net, const struct flight *f)
{
    return net->acc[f->to].up && (net->cut[f->node] & (1u << f->to)) == 0 &&
           net->eps[f->node] != NULL;
}

/* Steps one PAXOS request; the reply is encoded into *out. */
static int step(struct agd_inproc_net *net, const struct flight *f, struct agora_buf *out)
{
    struct agora_msg in, reply;
    struct acc *a = &net->acc[f->to];
    int rc = agora_msg_decode(f->data, f->len, &in);
    if (rc != AGORA_OK)
        return rc;
    agora_msg_init(&reply);
    rc = agora_acceptor_step(&a->a, agd_loop_now(net->loop), &in, &reply, &a->wal);
    if (rc == AGORA_OK)
        rc = agora_msg_encode(&reply, out);
    agora_msg_clear(&in);
    agora_msg_clear(&reply);
    return rc;
}

static void deliver(struct agd_inproc_net *net, struct flight *f, struct agora_buf *buf)
{
    struct endpoint *ep = net->eps[f->node];
    struct agd_reply r = {.acceptor = f->to, .kind = f->kind, .cookie = f->cookie};
    agora_buf_reset(buf);
    if (f->kind != AGD_TR_PAXOS)
        r.status = AGD_TR_ERROR; /* control registers: with the brick transport */
    else if (step(net, f, buf) != AGORA_OK)
        r.status = AGD_TR_ERROR;
    r.data = buf->data;
    r.len = buf->len;
    net->delivered++;
    if (r.status == AGD_TR_OK) {
        ep->answered++;
        ep->last_ok[f->to] = agd_loop_now(net->loop);
    }
    if (ep->tr.on_reply != NULL)
        ep->tr.on_reply(ep->tr.reply_ctx, &r);
}

static void deliver_due(struct agd_loop *l, void *ctx)
{
    struct agd_inproc_net *net = ctx;
    agora_time_t now = agd_loop_now(l);
    struct agora_buf buf;
    agora_buf_init(&buf);
    /* Only what was in flight when we started: replies may cause sends. */
    struct flight *last = net->tail;
    while (net->head != NULL && net->head->at <= now) {
        struct flight *f = net->head;
        net->head = f->next;
        if (net->head == NULL)
            net->tail = NULL;
        if (reachable(net, f))
            deliver(net, f, &buf);
        bool was_last = f == last;
        free(f->data);
        free(f);
        if (was_last)
            break;
    }
    agora_buf_free(&buf);
    if (net->head != NULL)
        agd_timer_arm(l, &net->timer, net->head->at);
}

/* --- endpoints ------------------------------------------------------------------- */

static int ep_send(struct agd_transport *t, uint32_t to, uint8_t kind, const uint8_t *req,
                   size_t len, uint64_t cookie)
{
    struct endpoint *ep = (struct endpoint *)t;
    struct agd_inproc_net *net = ep->net;
    if (to >= net->n)
        return -1;
    struct flight *f = calloc(1, sizeof(*f));
    if (f == NULL || (f->data = malloc(len ? len : 1)) == NULL) {
        free(f);
        return -1;
    }
    memcpy(f->data, req, len);
    *f = (struct flight){.node = ep->node, .to = to, .kind = kind, .cookie = cookie,
                         .at = agd_loop_now(net->loop) + net->latency, .data = f->data,
                         .len = len};
    if (net->tail != NULL)
        net->tail->next = f;
    else
        net->head = f;
    net->tail = f;
    ep->sent++;
    agd_timer_arm_before(net->loop, &net->timer, net->head->at);
    return 0;
}

static void ep_info(struct agd_transport *t, uint32_t i, struct agd_brick_info *out)
{
    struct endpoint *ep = (struct endpoint *)t;
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "inproc:%u", i);
    out->reachable = ep->net->acc[i].up && (ep->net->cut[ep->node] & (1u << i)) == 0;
    out->last_ok = ep->last_ok[i];
    out->sent = ep->sent;
    out->answered = ep->answered;
}

static void ep_close(struct agd_transport *t)
{
    struct endpoint *ep = (struct endpoint *)t;
    ep->net->eps[ep->node] = NULL;
    drop_flights(ep->net, ep->node);
    free(ep);
}

static const struct agd_transport_ops inproc_ops = {
    .send = ep_send,
    .info = ep_info,
    .close = ep_close,
};

struct agd_transport *agd_inproc_endpoint(struct agd_inproc_net *net, uint32_t node)
{
    if (node == 0 || node >= MAX_NODES || net->eps[node] != NULL)
        return NULL;
    struct endpoint *ep = calloc(1, sizeof(*ep));
    if (ep == NULL)
        return NULL;
    ep->tr.ops = &inproc_ops;
    ep->tr.n = net->n;
    ep->net = net;
    ep->node = node;
    net->eps[node] = ep;
    return &ep->tr;
}
