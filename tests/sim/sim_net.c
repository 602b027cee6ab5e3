/* sim_net.c: the simulated network (sim_int.h): a send is copied into
 * delivery events after random delays, dropped or duplicated while the
 * faults last; every delivery goes through the wire codec and must come
 * back equal. */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

/* Sends a copy of m (the caller keeps m). from_acc: acceptor -> proposer,
 * dst is then a proposer index; otherwise dst is an acceptor index. */
void net_send(struct sim *s, bool from_acc, uint32_t dst, const struct agora_msg *m)
{
    s->st->msgs++;
    if (s->o->verbose)
        trace_msg(s, "send ", from_acc, m);
    if ((!s->quiet && rnd_chance(s, s->p_drop)) ||
        (s->quiet && from_acc && s->o->broken == SIM_BROKEN_MUTE_AFTER_FAULTS)) {
        s->st->drops++;
        trace_msg(s, "DROP ", from_acc, m);
        return;
    }
    int copies = 1;
    if (!s->quiet && rnd_chance(s, s->p_dup)) {
        copies = 2;
        s->st->dups++;
    }
    for (int c = 0; c < copies; c++) {
        uint64_t delay = rnd_range(s, 100 * US, s->max_delay);
        if (!s->quiet && rnd_chance(s, s->p_long))
            delay = rnd_range(s, 100 * MS, 3 * SEC);
        struct agora_msg *mc = malloc(sizeof(*mc));
        if (mc == NULL)
            abort();
        agora_msg_init(mc);
        int rc = agora_msg_copy(mc, m);
        if (rc != AGORA_OK) {
            chk_fail(&s->chk, CHK_CONTRACT, "agora_msg_copy: %s", agora_strerror(rc));
            msg_free(mc);
            return;
        }
        ev_push(s, s->T + delay, from_acc ? EV_TO_PROP : EV_TO_ACC, (uint8_t)dst, 0, mc);
    }
}

static const char *msg_diff(const struct agora_msg *a, const struct agora_msg *b)
{
#define DIFF(f) \
    if (a->f != b->f) \
        return #f;
    DIFF(type) DIFF(reason) DIFF(from) DIFF(to) DIFF(tag) DIFF(seq) DIFF(ballot.round)
    DIFF(ballot.node) DIFF(slot) DIFF(count) DIFF(commit) DIFF(snap_index) DIFF(lease_holder)
    DIFF(lease_left) DIFF(n_entries) DIFF(snap_len)
#undef DIFF
    for (uint32_t i = 0; i < a->n_entries; i++) {
        const struct agora_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->slot != y->slot || agora_ballot_cmp(x->ballot, y->ballot) != 0 || x->len != y->len ||
            (x->len > 0 && memcmp(x->data, y->data, x->len) != 0))
            return "entries";
    }
    if (a->snap_len > 0 && memcmp(a->snap, b->snap, a->snap_len) != 0)
        return "snap";
    return NULL;
}

/* Every delivery goes through the wire codec: out = decode(encode(m)),
 * which must equal m and re-encode to the same bytes. */
bool codec_roundtrip(struct sim *s, const struct agora_msg *m, struct agora_msg *out)
{
    agora_msg_init(out);
    agora_buf_reset(&s->enc);
    int rc = agora_msg_encode(m, &s->enc);
    if (rc != AGORA_OK)
        return chk_fail(&s->chk, CHK_CONTRACT, "agora_msg_encode(%s): %s",
                        agora_msg_type_name(m->type), agora_strerror(rc));
    rc = agora_msg_decode(s->enc.data, s->enc.len, out);
    if (rc != AGORA_OK)
        return chk_fail(&s->chk, CHK_CONTRACT, "agora_msg_decode of an encoded %s: %s",
                        agora_msg_type_name(m->type), agora_strerror(rc));
    const char *d = msg_diff(m, out);
    if (d != NULL)
        return chk_fail(&s->chk, CHK_CONTRACT, "decode(encode(%s)) differs in field %s",
                        agora_msg_type_name(m->type), d);
    agora_buf_reset(&s->enc2);
    rc = agora_msg_encode(out, &s->enc2);
    if (rc != AGORA_OK || s->enc2.len != s->enc.len ||
        memcmp(s->enc.data, s->enc2.data, s->enc.len) != 0)
        return chk_fail(&s->chk, CHK_CONTRACT, "encode(decode(encode(%s))) differs",
                        agora_msg_type_name(m->type));
    return true;
}

