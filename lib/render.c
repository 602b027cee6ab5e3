/* render.c: renders the applied state into the files of /.agora/
 * (DESIGN.md section 4; docs/state-machine.md, "Rendering"). The output is a
 * function of the state alone: tables are walked in their sorted order, the
 * hosts lines are sorted by address, nothing reads a clock or the locale.
 * JSON is written by hand and escaped to pure ASCII. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agora/render.h"

#define MEMBER_COMMENT "agora-member:"

static int finish(struct agora_buf *out, size_t start, int rc)
{
    if (rc != AGORA_OK)
        out->len = start;
    return rc;
}

static int put_cstr(struct agora_buf *b, const char *s)
{
    return agora_buf_put(b, s, strlen(s));
}

/* ---- JSON strings ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    *cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    *cp = (*cp << 6) | (s[1] & 0x3f);
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    return len;
}

static int put_u_escape(struct agora_buf *b, uint32_t cp)
{
    if (cp < 0x10000)
        return agora_buf_printf(b, "\\u%04" PRIx32, cp);
    cp -= 0x10000;
    return agora_buf_printf(b, "\\u%04" PRIx32 "\\u%04" PRIx32, 0xd800 + (cp >> 10),
                            0xdc00 + (cp & 0x3ff));
}

static int put_escaped_byte(struct agora_buf *b, unsigned char c)
{
    switch (c) {
    case '"': return put_cstr(b, "\\\"");
    case '\\': return put_cstr(b, "\\\\");
    case '\n': return put_cstr(b, "\\n");
    case '\r': return put_cstr(b, "\\r");
    case '\t': return put_cstr(b, "\\t");
    case '\b': return put_cstr(b, "\\b");
    case '\f': return put_cstr(b, "\\f");
    default: break;
    }
    if (c < 0x20 || c == 0x7f)
        return put_u_escape(b, c);
    return agora_buf_put_u8(b, c);
}

int agora_json_put_str(struct agora_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = out->len;
    int rc = agora_buf_put_u8(out, '"');
    for (size_t i = 0; rc == AGORA_OK && i < len;) {
        uint32_t cp = 0;
        size_t k = utf8_seq(p + i, len - i, &cp);
        if (k == 1)
            rc = put_escaped_byte(out, p[i]);
        else
            rc = put_u_escape(out, k == 0 ? 0xfffd : cp);
        i += k == 0 ? 1 : k;
    }
    if (rc == AGORA_OK)
        rc = agora_buf_put_u8(out, '"');
    return finish(out, start, rc);
}

/* ---- a tiny JSON writer: one object per line ------------------------------------- */

struct jw {
    struct agora_buf *b;
    int rc;
    bool first;      /* no field written yet in the current object */
};

static void jw_raw(struct jw *w, const char *s)
{
    if (w->rc == AGORA_OK)
        w->rc = put_cstr(w->b, s);
}

static void jw_jstr(struct jw *w, const char *s)
{
    if (w->rc == AGORA_OK)
        w->rc = agora_json_put_str(w->b, s, strlen(s));
}

static void jw_key(struct jw *w, const char *key)
{
    jw_raw(w, w->first ? "" : ", ");
    w->first = false;
    jw_jstr(w, key);
    jw_raw(w, ": ");
}

static void jw_open(struct jw *w)
{
    jw_raw(w, "{");
    w->first = true;
}

static void jw_str(struct jw *w, const char *key, const char *v)
{
    jw_key(w, key);
    jw_jstr(w, v);
}

/* A string, or null when v is NULL or "". */
static void jw_str_or_null(struct jw *w, const char *key, const char *v)
{
    jw_key(w, key);
    if (v == NULL || *v == '\0')
        jw_raw(w, "null");
    else
        jw_jstr(w, v);
}

static void jw_u64(struct jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    if (w->rc == AGORA_OK)
        w->rc = agora_buf_printf(w->b, "%" PRIu64, v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_raw(w, v ? "true" : "false");
}

/* Opens the top-level object with the applied index. */
static void jw_doc_open(struct jw *w, const struct agora_sm *sm)
{
    jw_raw(w, "{\n  ");
    w->first = true;
    jw_u64(w, "applied", agora_sm_applied(sm));
}

/* "," between array items, then the item's indentation. */
static void jw_item(struct jw *w, size_t i)
{
    jw_raw(w, i == 0 ? "\n    " : ",\n    ");
}

static void jw_array_close(struct jw *w, size_t n)
{
    jw_raw(w, n == 0 ? "]\n}\n" : "\n  ]\n}\n");
}

/* ---- authorized_keys ----------------------------------------------------------------- */

static int put_key_line(struct agora_buf *b, const struct agora_member *m)
{
    int rc = AGORA_OK;
    if (m->key_options[0] != '\0')
        rc = agora_buf_printf(b, "%s ", m->key_options);
    if (rc == AGORA_OK)
        rc = agora_buf_printf(b, "%s %s " MEMBER_COMMENT "%s", m->key_type, m->key_blob, m->id);
    return rc;
}

int agora_render_authorized_keys(const struct agora_sm *sm, struct agora_buf *out)
{
    size_t start = out->len;
    int rc = agora_buf_printf(out, "# /.agora/authorized_keys at applied index %" PRIu64
                              "; generated by agora, do not edit\n", agora_sm_applied(sm));
    for (size_t i = 0; rc == AGORA_OK && i < agora_sm_member_count(sm); i++) {
        rc = put_key_line(out, agora_sm_member_at(sm, i));
        if (rc == AGORA_OK)
            rc = agora_buf_put_u8(out, '\n');
    }
    return finish(out, start, rc);
}

/* ---- leader ------------------------------------------------------------------------------ */

int agora_render_leader(const struct agora_sm *sm, struct agora_buf *out)
{
    struct agora_sm_leader l = agora_sm_leader(sm);
    size_t start = out->len;
    int rc = agora_buf_printf(out, "id %s\nballot %" PRIu64 ".%" PRIu32 "\nsince %" PRIu64 "\n",
                              l.id[0] != '\0' ? l.id : "-", l.ballot.round, l.ballot.node,
                              l.since);
    return finish(out, start, rc);
}

/* ---- hosts -------------------------------------------------------------------------------- */

enum { RANK_HOST = 0, RANK_ALIAS = 1, RANK_LEADER = 2, RANK_TASK = 3 };

/* One name on one address; a line of the file is a run of these. */
struct host_name {
    struct agora_ip addr;
    const char *ip;
    uint32_t rank;
    uint32_t sub;                  /* task index, orders task names */
    const char *name;              /* NULL: use alias[] */
    char alias[AGORA_SM_ALIAS_LEN];
};

static int addr_cmp(const struct agora_ip *a, const struct agora_ip *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

/* Total order on (address, rank, sub): no two names compare equal. */
static int host_name_cmp(const void *x, const void *y)
{
    const struct host_name *a = x, *b = y;
    int c = addr_cmp(&a->addr, &b->addr);
    if (c != 0)
        return c;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return a->sub < b->sub ? -1 : a->sub > b->sub;
}

static const char *host_name_text(const struct host_name *h)
{
    return h->name != NULL ? h->name : h->alias;
}

static struct host_name *add_name(struct host_name *v, size_t *n, const struct agora_ip *addr,
                                  const char *ip, uint32_t rank, uint32_t sub)
{
    struct host_name *h = &v[(*n)++];
    h->addr = *addr;
    h->ip = ip;
    h->rank = rank;
    h->sub = sub;
    return h;
}

static int collect_members(const struct agora_sm *sm, struct host_name *v, size_t *n)
{
    const struct agora_member *leader = agora_sm_leader_member(sm);
    for (size_t i = 0; i < agora_sm_member_count(sm); i++) {
        const struct agora_member *m = agora_sm_member_at(sm, i);
        add_name(v, n, &m->addr, m->ip, RANK_HOST, 0)->name = m->hostname;
        struct host_name *a = add_name(v, n, &m->addr, m->ip, RANK_ALIAS, 0);
        int rc = agora_sm_alias(sm, m->alias, a->alias, sizeof a->alias);
        if (rc != AGORA_OK)
            return rc;
        if (m == leader)
            add_name(v, n, &m->addr, m->ip, RANK_LEADER, 0)->name =
                agora_sm_config(sm, AGORA_CFG_LEADER_ALIAS);
    }
    return AGORA_OK;
}

static void collect_tasks(const struct agora_sm *sm, struct host_name *v, size_t *n)
{
    for (size_t i = 0; i < agora_sm_task_count(sm); i++) {
        const struct agora_task *t = agora_sm_task_at(sm, i);
        if (t->state == AGORA_TASK_RUNNING && t->hostname[0] != '\0')
            add_name(v, n, &t->addr, t->ip, RANK_TASK, (uint32_t)i)->name = t->hostname;
    }
}

/* True if v[i]'s name already appears on its line (v[first..i)). */
static bool seen_on_line(const struct host_name *v, size_t first, size_t i)
{
    for (size_t j = first; j < i; j++) {
        if (strcmp(host_name_text(&v[j]), host_name_text(&v[i])) == 0)
            return true;
    }
    return false;
}

static int emit_hosts(struct agora_buf *out, const struct host_name *v, size_t n)
{
    int rc = AGORA_OK;
    size_t first = 0;
    for (size_t i = 0; rc == AGORA_OK && i < n; i++) {
        if (i == 0 || addr_cmp(&v[i].addr, &v[first].addr) != 0) {
            if (i > 0)
                rc = agora_buf_put_u8(out, '\n');
            first = i;
            if (rc == AGORA_OK)
                rc = agora_buf_printf(out, "%s\t%s", v[i].ip, host_name_text(&v[i]));
        } else if (!seen_on_line(v, first, i)) {
            rc = agora_buf_printf(out, " %s", host_name_text(&v[i]));
        }
    }
    if (rc == AGORA_OK && n > 0)
        rc = agora_buf_put_u8(out, '\n');
    return rc;
}

int agora_render_hosts(const struct agora_sm *sm, struct agora_buf *out)
{
    size_t start = out->len;
    size_t cap = 3 * agora_sm_member_count(sm) + agora_sm_task_count(sm);
    size_t n = 0;
    struct host_name *v = agora_calloc(cap, sizeof *v);
    if (v == NULL)
        return AGORA_ENOMEM;
    int rc = collect_members(sm, v, &n);
    if (rc == AGORA_OK) {
        collect_tasks(sm, v, &n);
        qsort(v, n, sizeof *v, host_name_cmp);
        rc = agora_buf_printf(out, "# /.agora/hosts at applied index %" PRIu64
                              "; generated by agora, do not edit\n", agora_sm_applied(sm));
    }
    if (rc == AGORA_OK)
        rc = emit_hosts(out, v, n);
    agora_free(v);
    return finish(out, start, rc);
}

/* ---- members.json ------------------------------------------------------------------------- */

static void member_json(struct jw *w, const struct agora_sm *sm, const struct agora_member *m)
{
    char alias[AGORA_SM_ALIAS_LEN];
    struct agora_buf key;
    agora_buf_init(&key);
    if (w->rc == AGORA_OK)
        w->rc = agora_sm_alias(sm, m->alias, alias, sizeof alias);
    if (w->rc == AGORA_OK)
        w->rc = put_key_line(&key, m);
    if (w->rc == AGORA_OK)
        w->rc = agora_buf_put(&key, "", 1);
    jw_open(w);
    jw_str(w, "id", m->id);
    jw_str(w, "kind", agora_member_kind_name(m->kind));
    jw_str(w, "hostname", m->hostname);
    jw_str(w, "ip", m->ip);
    jw_str(w, "alias", w->rc == AGORA_OK ? alias : "");
    jw_bool(w, "leader", m == agora_sm_leader_member(sm));
    jw_str(w, "key_type", m->key_type);
    jw_str(w, "key", w->rc == AGORA_OK ? (const char *)key.data : "");
    jw_u64(w, "since", m->since);
    jw_u64(w, "updated", m->updated);
    jw_raw(w, "}");
    agora_buf_free(&key);
}

int agora_render_members_json(const struct agora_sm *sm, struct agora_buf *out)
{
    struct jw w = {.b = out, .rc = AGORA_OK};
    size_t start = out->len;
    size_t n = agora_sm_member_count(sm);
    jw_doc_open(&w, sm);
    jw_raw(&w, ",\n  ");
    w.first = true;
    jw_str_or_null(&w, "leader", agora_sm_leader(sm).id);
    jw_raw(&w, ",\n  \"members\": [");
    for (size_t i = 0; i < n; i++) {
        jw_item(&w, i);
        member_json(&w, sm, agora_sm_member_at(sm, i));
    }
    jw_array_close(&w, n);
    return finish(out, start, w.rc);
}

/* ---- tasks.json ---------------------------------------------------------------------------- */

static void task_json(struct jw *w, const struct agora_task *t)
{
    jw_open(w);
    jw_str(w, "id", t->id);
    jw_str(w, "group", t->group);
    jw_str_or_null(w, "hostname", t->hostname);
    jw_str_or_null(w, "ip", t->ip);
    jw_str(w, "goal", agora_task_goal_name(t->goal));
    jw_str(w, "image", t->image);
    jw_str(w, "network", t->network);
    jw_u64(w, "cpus_milli", t->cpus_milli);
    jw_u64(w, "mem_mb", t->mem_mb);
    jw_str(w, "spec", t->spec);
    jw_u64(w, "desired_slot", t->desired_slot);
    jw_str_or_null(w, "state", agora_task_state_name(t->state));
    jw_str(w, "agent_id", t->agent_id);
    jw_str(w, "message", t->message);
    jw_u64(w, "observed_slot", t->observed_slot);
    jw_raw(w, "}");
}

int agora_render_tasks_json(const struct agora_sm *sm, struct agora_buf *out)
{
    struct jw w = {.b = out, .rc = AGORA_OK};
    size_t start = out->len;
    size_t n = agora_sm_task_count(sm);
    jw_doc_open(&w, sm);
    jw_raw(&w, ",\n  ");
    w.first = true;
    jw_str_or_null(&w, "framework_id", agora_sm_framework_id(sm));
    jw_raw(&w, ",\n  ");
    w.first = true;
    jw_str(&w, "cluster", agora_sm_config(sm, AGORA_CFG_CLUSTER));
    jw_raw(&w, ",\n  \"tasks\": [");
    for (size_t i = 0; i < n; i++) {
        jw_item(&w, i);
        task_json(&w, agora_sm_task_at(sm, i));
    }
    jw_array_close(&w, n);
    return finish(out, start, w.rc);
}

/* ---- by name --------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*render)(const struct agora_sm *, struct agora_buf *);
} FILES[] = {
    {"authorized_keys", agora_render_authorized_keys},
    {"hosts", agora_render_hosts},
    {"leader", agora_render_leader},
    {"members.json", agora_render_members_json},
    {"tasks.json", agora_render_tasks_json},
};

size_t agora_render_file_count(void)
{
    return sizeof FILES / sizeof FILES[0];
}

const char *agora_render_file_name(size_t i)
{
    return i < agora_render_file_count() ? FILES[i].name : NULL;
}

int agora_render_file(const struct agora_sm *sm, const char *name, struct agora_buf *out)
{
    for (size_t i = 0; i < agora_render_file_count(); i++) {
        if (strcmp(FILES[i].name, name) == 0)
            return FILES[i].render(sm, out);
    }
    return AGORA_ENOENT;
}
