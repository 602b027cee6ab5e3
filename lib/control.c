/* control.c: membership register messages (control.h). Layout, little-endian:
 *
 *   u8 version=1, u8 type, u8 status, u8 reserved=0
 *   HEARTBEAT     str member
 *   SUBMIT        blob data (an encoded agora_cmd)
 *   POLL          u64 ballot.round, u32 ballot.node
 *   STATUS        (nothing)
 *   ACK           str text, u64 ballot.round, u32 ballot.node
 *   REGISTERS     u64 ballot.round, u32 ballot.node, u64 applied, u64 commit,
 *                 u32 n_members, per member: str id, u32 sender, u64 age, u64 beats,
 *                 u32 n_queued, per request: u64 age, blob data
 *   STATUS_REPLY  blob data (JSON)
 *
 * str = u16 length + bytes (no NUL inside); blob = u32 length + bytes.
 * Nothing may follow. docs/wire-format.md describes the same bytes. */
#include <string.h>

#include "agora/control.h"

void agora_ctl_init(struct agora_ctl *c)
{
    memset(c, 0, sizeof(*c));
}

void agora_ctl_clear(struct agora_ctl *c)
{
    agora_free(c->member);
    agora_free(c->text);
    agora_free(c->data);
    for (uint32_t i = 0; i < c->n_members; i++)
        agora_free(c->members[i].id);
    agora_free(c->members);
    for (uint32_t i = 0; i < c->n_queued; i++)
        agora_free(c->queued[i].data);
    agora_free(c->queued);
    agora_ctl_init(c);
}

const char *agora_ctl_type_name(uint8_t type)
{
    static const char *const names[] = {
        "?", "HEARTBEAT", "SUBMIT", "POLL", "STATUS", "ACK", "REGISTERS", "STATUS_REPLY",
    };
    return type <= AGORA_CTL_TYPE_MAX ? names[type] : "?";
}

const char *agora_ctl_status_name(uint8_t status)
{
    static const char *const names[] = {
        "ok", "duplicate", "applied", "full", "invalid", "fenced",
    };
    return status <= AGORA_CTL_STATUS_MAX ? names[status] : "?";
}

/* A string field: no NUL inside, at most max bytes. */
static int dup_str(char **dst, const char *s, size_t len, size_t max)
{
    if (len > max || (len > 0 && memchr(s, '\0', len) != NULL))
        return AGORA_EINVAL;
    char *copy = agora_strndup(len > 0 ? s : "", len);
    if (copy == NULL)
        return AGORA_ENOMEM;
    agora_free(*dst);
    *dst = copy;
    return AGORA_OK;
}

static int dup_blob(uint8_t **dst, uint32_t *dlen, const uint8_t *p, uint32_t len)
{
    uint8_t *copy = agora_malloc(len);
    if (copy == NULL)
        return AGORA_ENOMEM;
    if (len > 0)
        memcpy(copy, p, len);
    agora_free(*dst);
    *dst = copy;
    *dlen = len;
    return AGORA_OK;
}

int agora_ctl_set_member(struct agora_ctl *c, const char *id, size_t len)
{
    return dup_str(&c->member, id, len, AGORA_CTL_ID_MAX);
}

int agora_ctl_set_text(struct agora_ctl *c, const char *text, size_t len)
{
    return dup_str(&c->text, text, len, AGORA_CTL_TEXT_MAX);
}

int agora_ctl_set_data(struct agora_ctl *c, const uint8_t *p, uint32_t len)
{
    return dup_blob(&c->data, &c->len, p, len);
}

int agora_ctl_add_member(struct agora_ctl *c, const char *id, uint32_t sender, uint64_t age,
                         uint64_t beats)
{
    if (c->n_members >= AGORA_CTL_MAX_MEMBERS)
        return AGORA_ETOOBIG;
    struct agora_ctl_member *m =
        agora_realloc(c->members, (c->n_members + 1) * sizeof(*m));
    if (m == NULL)
        return AGORA_ENOMEM;
    c->members = m;
    m = &c->members[c->n_members];
    memset(m, 0, sizeof(*m));
    int rc = dup_str(&m->id, id, strlen(id), AGORA_CTL_ID_MAX);
    if (rc != AGORA_OK)
        return rc;
    m->sender = sender;
    m->age = age;
    m->beats = beats;
    c->n_members++;
    return AGORA_OK;
}

int agora_ctl_add_queued(struct agora_ctl *c, uint64_t age, const uint8_t *p, uint32_t len)
{
    if (c->n_queued >= AGORA_CTL_MAX_QUEUED)
        return AGORA_ETOOBIG;
    struct agora_ctl_queued *q = agora_realloc(c->queued, (c->n_queued + 1) * sizeof(*q));
    if (q == NULL)
        return AGORA_ENOMEM;
    c->queued = q;
    q = &c->queued[c->n_queued];
    memset(q, 0, sizeof(*q));
    int rc = dup_blob(&q->data, &q->len, p, len);
    if (rc != AGORA_OK)
        return rc;
    q->age = age;
    c->n_queued++;
    return AGORA_OK;
}

static int put_cstr(struct agora_buf *o, const char *s)
{
    return agora_buf_put_str(o, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static int put_ballot(struct agora_buf *o, struct agora_ballot b)
{
    return agora_buf_put_u64(o, b.round) | agora_buf_put_u32(o, b.node);
}

int agora_ctl_encode(const struct agora_ctl *c, struct agora_buf *out)
{
    if (c->type < 1 || c->type > AGORA_CTL_TYPE_MAX)
        return AGORA_EINVAL;
    size_t start = out->len;
    int rc = agora_buf_put_u8(out, AGORA_CTL_VERSION) | agora_buf_put_u8(out, c->type) |
             agora_buf_put_u8(out, c->status) | agora_buf_put_u8(out, 0);
    switch (c->type) {
    case AGORA_CTL_HEARTBEAT: rc |= put_cstr(out, c->member); break;
    case AGORA_CTL_SUBMIT:
    case AGORA_CTL_STATUS_REPLY: rc |= agora_buf_put_blob(out, c->data, c->len); break;
    case AGORA_CTL_POLL: rc |= put_ballot(out, c->ballot); break;
    case AGORA_CTL_STATUS: break;
    case AGORA_CTL_ACK: rc |= put_cstr(out, c->text) | put_ballot(out, c->ballot); break;
    case AGORA_CTL_REGISTERS:
        rc |= put_ballot(out, c->ballot) | agora_buf_put_u64(out, c->applied) |
              agora_buf_put_u64(out, c->commit) | agora_buf_put_u32(out, c->n_members);
        for (uint32_t i = 0; i < c->n_members && rc == 0; i++) {
            const struct agora_ctl_member *m = &c->members[i];
            rc |= put_cstr(out, m->id) | agora_buf_put_u32(out, m->sender) |
                  agora_buf_put_u64(out, m->age) | agora_buf_put_u64(out, m->beats);
        }
        rc |= agora_buf_put_u32(out, c->n_queued);
        for (uint32_t i = 0; i < c->n_queued && rc == 0; i++) {
            const struct agora_ctl_queued *q = &c->queued[i];
            rc |= agora_buf_put_u64(out, q->age) | agora_buf_put_blob(out, q->data, q->len);
        }
        break;
    }
    if (rc != 0) {
        out->len = start;
        return AGORA_ENOMEM;
    }
    return AGORA_OK;
}

static int get_str(struct agora_rd *r, char **dst, size_t max)
{
    uint16_t n;
    const char *s = agora_rd_str(r, &n);
    if (r->err)
        return AGORA_EINVAL;
    return dup_str(dst, s, n, max);
}

static struct agora_ballot get_ballot(struct agora_rd *r)
{
    struct agora_ballot b;
    b.round = agora_rd_u64(r);
    b.node = agora_rd_u32(r);
    return b;
}

static int get_blob(struct agora_rd *r, uint8_t **dst, uint32_t *len)
{
    uint32_t n;
    const uint8_t *p = agora_rd_blob(r, &n);
    if (r->err)
        return AGORA_EINVAL;
    return dup_blob(dst, len, p, n);
}

static int get_registers(struct agora_rd *r, struct agora_ctl *c)
{
    c->ballot = get_ballot(r);
    c->applied = agora_rd_u64(r);
    c->commit = agora_rd_u64(r);
    uint32_t n = agora_rd_u32(r);
    if (r->err)
        return AGORA_EINVAL;
    if (n > AGORA_CTL_MAX_MEMBERS)
        return AGORA_ETOOBIG;
    for (uint32_t i = 0; i < n; i++) {
        char *id = NULL;
        int rc = get_str(r, &id, AGORA_CTL_ID_MAX);
        uint32_t sender = agora_rd_u32(r);
        uint64_t age = agora_rd_u64(r);
        uint64_t beats = agora_rd_u64(r);
        if (rc == AGORA_OK && r->err)
            rc = AGORA_EINVAL;
        if (rc == AGORA_OK)
            rc = agora_ctl_add_member(c, id, sender, age, beats);
        agora_free(id);
        if (rc != AGORA_OK)
            return rc;
    }
    n = agora_rd_u32(r);
    if (r->err)
        return AGORA_EINVAL;
    if (n > AGORA_CTL_MAX_QUEUED)
        return AGORA_ETOOBIG;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t age = agora_rd_u64(r);
        uint32_t len;
        const uint8_t *p = agora_rd_blob(r, &len);
        if (r->err)
            return AGORA_EINVAL;
        int rc = agora_ctl_add_queued(c, age, p, len);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

int agora_ctl_decode(const uint8_t *p, size_t len, struct agora_ctl *c)
{
    struct agora_rd r;
    agora_ctl_init(c);
    agora_rd_init(&r, p, len);
    uint8_t version = agora_rd_u8(&r);
    c->type = agora_rd_u8(&r);
    c->status = agora_rd_u8(&r);
    uint8_t reserved = agora_rd_u8(&r);
    if (r.err || version != AGORA_CTL_VERSION || reserved != 0 || c->type < 1 ||
        c->type > AGORA_CTL_TYPE_MAX || c->status > AGORA_CTL_STATUS_MAX)
        return AGORA_EINVAL;
    int rc = AGORA_OK;
    switch (c->type) {
    case AGORA_CTL_HEARTBEAT: rc = get_str(&r, &c->member, AGORA_CTL_ID_MAX); break;
    case AGORA_CTL_SUBMIT:
    case AGORA_CTL_STATUS_REPLY: rc = get_blob(&r, &c->data, &c->len); break;
    case AGORA_CTL_POLL: c->ballot = get_ballot(&r); break;
    case AGORA_CTL_STATUS: break;
    case AGORA_CTL_ACK:
        rc = get_str(&r, &c->text, AGORA_CTL_TEXT_MAX);
        c->ballot = get_ballot(&r);
        break;
    case AGORA_CTL_REGISTERS: rc = get_registers(&r, c); break;
    }
    if (rc == AGORA_OK && (r.err || agora_rd_left(&r) != 0))
        rc = AGORA_EINVAL;
    if (rc != AGORA_OK)
        agora_ctl_clear(c);
    return rc;
}
