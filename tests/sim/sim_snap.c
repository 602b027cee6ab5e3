/* sim_snap.c: the shells' snapshots (sim_int.h): their format (the index
 * and the digest chain of the values up to it, SIM_SNAP_LEN bytes), and a
 * brick's compaction, whose image must replay to the acceptor's state. */
#include <inttypes.h>
#include <string.h>

#include "sim_int.h"

bool parse_snap(const uint8_t *p, uint32_t len, uint64_t *index, uint64_t *digest)
{
    if (len != SIM_SNAP_LEN || p == NULL)
        return false;
    struct agora_rd r;
    agora_rd_init(&r, p, len);
    *index = agora_rd_u64(&r);
    *digest = agora_rd_u64(&r);
    return !r.err;
}

void make_snap(uint8_t out[SIM_SNAP_LEN], uint64_t index, uint64_t digest)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(index >> (8 * i));
        out[8 + i] = (uint8_t)(digest >> (8 * i));
    }
}

/* The shell's state machine at `upto`: the digest chain from the
 * acceptor's own snapshot through its log. False (a violation) if it
 * cannot be computed. */
static bool compact_digest(struct sim *s, int i, uint64_t upto, uint64_t *digest)
{
    struct agora_acceptor *a = &s->acc[i].a;
    uint64_t idx = 0, dig = SIM_DIGEST_INIT;
    if (a->snap_index > 0 && !parse_snap(a->snap, a->snap_len, &idx, &dig)) {
        chk_fail(&s->chk, CHK_CONTRACT, "a%d: unreadable snapshot", i);
        return false;
    }
    for (uint64_t slot = a->snap_index + 1; slot <= upto; slot++) {
        const struct agora_entry *e = agora_log_get(&a->log, slot);
        if (e == NULL) {
            chk_fail(&s->chk, CHK_CONTRACT, "a%d: slot %" PRIu64 " <= commit %" PRIu64 " absent",
                     i, slot, a->commit);
            return false;
        }
        dig = sim_digest_step(dig, slot, e->data, e->len);
    }
    *digest = dig;
    return true;
}

/* What differs between the acceptor and its compacted image replayed into
 * a scratch acceptor; NULL if nothing. */
static const char *image_differs(struct sim *s, int i, const struct agora_buf *image,
                                 uint64_t upto)
{
    const struct agora_acceptor *a = &s->acc[i].a;
    struct agora_acceptor r;
    size_t valid = 0;
    int rc = agora_acceptor_init(&r, &s->acfg, (uint32_t)i, acc_now(s, i));
    if (rc == AGORA_OK)
        rc = agora_acceptor_recover(&r, image->data, image->len, &valid);
    const char *why = NULL;
    if (rc != AGORA_OK)
        why = agora_strerror(rc);
    else if (valid != image->len)
        why = "not every byte of the image is valid";
    else if (agora_ballot_cmp(r.promised, a->promised) != 0)
        why = "promise differs";
    else if (r.snap_index != a->snap_index || r.snap_len != a->snap_len ||
             (a->snap_len > 0 && memcmp(r.snap, a->snap, a->snap_len) != 0))
        why = "snapshot differs";
    else if (r.commit != a->commit)
        why = "commit differs";
    else if (agora_log_last(&r.log) != agora_log_last(&a->log))
        why = "last slot differs";
    else
        for (uint64_t slot = upto + 1; slot <= agora_log_last(&a->log) && why == NULL; slot++) {
            const struct agora_entry *x = agora_log_get(&a->log, slot);
            const struct agora_entry *y = agora_log_get(&r.log, slot);
            if ((x == NULL) != (y == NULL) ||
                (x != NULL && (agora_ballot_cmp(x->ballot, y->ballot) != 0 || x->len != y->len ||
                               (x->len && memcmp(x->data, y->data, x->len) != 0))))
                why = "an entry differs";
        }
    agora_acceptor_free(&r);
    return why;
}

/* Compaction: the shell's state machine is the digest chain; the acceptor
 * drops slots <= upto and the disk becomes the new image (atomic rename).
 * The image is replayed into a scratch acceptor and compared. */
void acc_compact(struct sim *s, int i)
{
    struct sim_acc *sa = &s->acc[i];
    struct agora_acceptor *a = &sa->a;
    if (!sa->up || a->commit <= a->snap_index)
        return;
    acc_flush(s, i);
    if (failed(s))
        return;
    uint64_t upto = a->snap_index + 1 + rnd_below(s, a->commit - a->snap_index);
    uint64_t dig = 0;
    if (!compact_digest(s, i, upto, &dig))
        return;
    uint8_t snap[SIM_SNAP_LEN];
    make_snap(snap, upto, dig);
    struct agora_buf image;
    agora_buf_init(&image);
    int rc = agora_acceptor_compact(a, upto, snap, SIM_SNAP_LEN, &image);
    if (rc != AGORA_OK || a->snap_index != upto) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_acceptor_compact(a%d, %" PRIu64 "): %s, snap=%" PRIu64,
                 i, upto, agora_strerror(rc), a->snap_index);
        agora_buf_free(&image);
        return;
    }
    /* The image must replay to the same durable state. */
    const char *why = image_differs(s, i, &image, upto);
    if (why != NULL) {
        chk_fail(&s->chk, CHK_DURABLE, "a%d: the compacted image (upto %" PRIu64
                 ") does not replay to the acceptor's state: %s", i, upto, why);
        agora_buf_free(&image);
        return;
    }
    agora_buf_free(&sa->disk);
    sa->disk = image;
    sa->synced = sa->disk.len;
    chk_durable_compact(&s->chk, i, upto);
    sa->seen_snap = upto; /* the shell's own snapshot */
    s->st->compactions++;
    trace_text(s, "a%d COMPACT upto=%" PRIu64 " image=%zu bytes", i, upto, sa->disk.len);
}
