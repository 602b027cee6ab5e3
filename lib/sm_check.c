/* sm_check.c: the checks apply runs before it changes anything: names and
 * addresses, members, tasks and configuration values (docs/state-machine.md,
 * "Apply rules"). Each takes the state read-only and says why it refuses. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sm_impl.h"

static const char *cfg_name(int idx)
{
    const char *n = agora_sm_config_name((enum agora_sm_config_key)idx);
    return n != NULL ? n : "?";
}
/* ---- names and addresses ---------------------------------------------------------- */

/* True if name is prefix followed by one or more decimal digits. */
static bool is_alias_of(const char *prefix, const char *name)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0 || name[n] == '\0')
        return false;
    for (const char *p = name + n; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return true;
}

static bool name_reserved(const struct agora_sm *sm, const char *lname)
{
    return strcmp(lname, agora_sm_config(sm, AGORA_CFG_LEADER_ALIAS)) == 0 ||
           is_alias_of(agora_sm_config(sm, AGORA_CFG_ALIAS_PREFIX), lname);
}

static bool ip_unspecified(const struct agora_ip *ip)
{
    size_t n = ip->family == 4 ? 4 : 16;
    for (size_t i = 0; i < n; i++) {
        if (ip->addr[i] != 0)
            return false;
    }
    return true;
}

/* The canonical forms of a (host name, ip) pair. */
struct address {
    char host[AGORA_HOSTNAME_MAX + 1]; /* lower-cased */
    char ip[64];                        /* canonical text */
    struct agora_ip addr;
};

static int check_hostname(const struct agora_sm *sm, const char *what, const char *id,
                          const char *host, struct address *a, char *why, size_t whylen)
{
    char tmp[160] = "";
    size_t n = strlen(host);
    int rc = agora_valid_hostname(host, n, tmp, sizeof tmp);
    if (rc == AGORA_OK && n > AGORA_HOSTNAME_MAX)
        rc = AGORA_ETOOBIG;
    if (rc != AGORA_OK) {
        agora_smi_say(why, whylen, "%s %s: host name: %s", what, id, tmp);
        return rc;
    }
    for (size_t i = 0; i <= n; i++)
        a->host[i] = (host[i] >= 'A' && host[i] <= 'Z') ? (char)(host[i] - 'A' + 'a') : host[i];
    if (name_reserved(sm, a->host)) {
        agora_smi_say(why, whylen, "%s %s: host name \"%s\" is reserved for an alias", what,
                      id, a->host);
        return AGORA_EINVAL;
    }
    return AGORA_OK;
}

static int check_ip(const char *what, const char *id, const char *ip, struct address *a,
                    char *why, size_t whylen)
{
    char tmp[160] = "";
    int rc = agora_parse_ip(ip, strlen(ip), &a->addr, tmp, sizeof tmp);
    if (rc != AGORA_OK) {
        agora_smi_say(why, whylen, "%s %s: ip: %s", what, id, tmp);
        return rc;
    }
    if (ip_unspecified(&a->addr)) {
        agora_smi_say(why, whylen, "%s %s: ip %s is the unspecified address", what, id, ip);
        return AGORA_EINVAL;
    }
    rc = agora_format_ip(&a->addr, a->ip, sizeof a->ip);
    if (rc != AGORA_OK)
        agora_smi_say(why, whylen, "%s %s: ip %s cannot be formatted", what, id, ip);
    return rc;
}

static int check_address(const struct agora_sm *sm, const char *what, const char *id,
                         const char *host, const char *ip, struct address *a, char *why,
                         size_t whylen)
{
    int rc = check_hostname(sm, what, id, host, a, why, whylen);
    return rc == AGORA_OK ? check_ip(what, id, ip, a, why, whylen) : rc;
}

/* A live member or a task whose host name satisfies match(pattern, name). */
struct holder {
    const char *what;
    const char *id;
    const char *hostname;
    const char *ip;
};

static bool find_host(const struct agora_sm *sm, bool (*match)(const char *, const char *),
                      const char *pattern, struct holder *h)
{
    for (size_t i = 0; i < sm->n_members; i++) {
        const struct agora_member *m = &sm->members[i];
        if (match(pattern, m->hostname)) {
            *h = (struct holder){"member", m->id, m->hostname, m->ip};
            return true;
        }
    }
    for (size_t i = 0; i < sm->n_tasks; i++) {
        const struct agora_task *t = &sm->tasks[i];
        if (t->hostname[0] != '\0' && match(pattern, t->hostname)) {
            *h = (struct holder){"task", t->id, t->hostname, t->ip};
            return true;
        }
    }
    return false;
}

static bool same_name(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* ---- members -------------------------------------------------------------------------- */

static int parse_key(const struct agora_sm *sm, const char *id, const char *line,
                     struct agora_sshkey *k, char *why, size_t whylen)
{
    struct agora_sshkey_policy pol = {
        .allow_options = agora_sm_allow_key_options(sm),
        .max_len = AGORA_SM_KEY_MAX,
    };
    char tmp[160] = "";
    int rc = agora_parse_sshkey(line, strlen(line), &pol, k, tmp, sizeof tmp);
    if (rc != AGORA_OK && rc != AGORA_ENOMEM)
        agora_smi_say(why, whylen, "member %s: ssh key: %s", id, tmp);
    return rc;
}

/* Host name, ip and key must not be held by another live member; the host
 * name must not name a task at another address. */
static int member_conflicts(const struct agora_sm *sm, const char *id, const struct address *a,
                            const struct agora_sshkey *k, char *why, size_t whylen)
{
    for (size_t i = 0; i < sm->n_members; i++) {
        const struct agora_member *m = &sm->members[i];
        const char *dup = NULL;
        if (strcmp(m->id, id) == 0)
            continue;
        if (strcmp(m->hostname, a->host) == 0)
            dup = "host name";
        else if (strcmp(m->ip, a->ip) == 0)
            dup = "ip";
        else if (strcmp(m->key_type, k->type) == 0 && strcmp(m->key_blob, k->blob_b64) == 0)
            dup = "ssh key";
        if (dup != NULL) {
            agora_smi_say(why, whylen, "member %s: %s already held by member %s", id, dup, m->id);
            return AGORA_EEXIST;
        }
    }
    for (size_t i = 0; i < sm->n_tasks; i++) {
        const struct agora_task *t = &sm->tasks[i];
        if (strcmp(t->hostname, a->host) == 0 && strcmp(t->ip, a->ip) != 0) {
            agora_smi_say(why, whylen, "member %s: host name %s names task %s at %s", id,
                          a->host, t->id, t->ip);
            return AGORA_EEXIST;
        }
    }
    return AGORA_OK;
}

static uint32_t lowest_free_alias(const struct agora_sm *sm)
{
    bool used[AGORA_SM_MAX_MEMBERS + 1] = {false};
    for (size_t i = 0; i < sm->n_members; i++) {
        if (sm->members[i].alias <= AGORA_SM_MAX_MEMBERS)
            used[sm->members[i].alias] = true;
    }
    uint32_t n = 0;
    while (n < AGORA_SM_MAX_MEMBERS && used[n])
        n++;
    return n;
}

static int member_fill(struct agora_member *m, const char *id, const struct address *a,
                       const struct agora_sshkey *k, enum agora_member_kind kind)
{
    m->id = agora_smi_dup_str(id);
    m->hostname = agora_smi_dup_str(a->host);
    m->ip = agora_smi_dup_str(a->ip);
    m->addr = a->addr;
    m->key_options = agora_smi_dup_str(agora_smi_str(k->options));
    m->key_type = agora_smi_dup_str(k->type);
    m->key_blob = agora_smi_dup_str(k->blob_b64);
    m->kind = kind;
    if (!m->id || !m->hostname || !m->ip || !m->key_options || !m->key_type || !m->key_blob) {
        agora_smi_member_clear(m);
        return AGORA_ENOMEM;
    }
    return AGORA_OK;
}

int agora_smi_member_prepare(const struct agora_sm *sm, const struct agora_cmd *cmd,
                             struct agora_member *m, char *why, size_t whylen)
{
    const char *id = agora_smi_str(cmd->u.join.id);
    struct address a;
    struct agora_sshkey k;
    size_t pos;
    memset(m, 0, sizeof *m);
    memset(&k, 0, sizeof k);
    int rc = check_address(sm, "member", id, agora_smi_str(cmd->u.join.hostname),
                           agora_smi_str(cmd->u.join.ip), &a, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    rc = parse_key(sm, id, agora_smi_str(cmd->u.join.sshkey), &k, why, whylen);
    if (rc != AGORA_OK)
        goto out_key;
    rc = member_conflicts(sm, id, &a, &k, why, whylen);
    bool found = agora_smi_find_member(sm, id, &pos);
    if (rc == AGORA_OK && !found && sm->n_members >= AGORA_SM_MAX_MEMBERS) {
        agora_smi_say(why, whylen, "member %s: already %u members", id, AGORA_SM_MAX_MEMBERS);
        rc = AGORA_ETOOBIG;
    }
    if (rc == AGORA_OK)
        rc = member_fill(m, id, &a, &k, cmd->u.join.kind);
    if (rc == AGORA_OK)
        m->alias = found ? sm->members[pos].alias : lowest_free_alias(sm);
out_key:
    agora_sshkey_clear(&k);
    return rc;
}

/* ---- tasks --------------------------------------------------------------------------- */

/* A task's host name must not be another task's, nor a member's at another ip. */
static int task_conflicts(const struct agora_sm *sm, const char *id, const struct address *a,
                          char *why, size_t whylen)
{
    for (size_t i = 0; i < sm->n_tasks; i++) {
        const struct agora_task *t = &sm->tasks[i];
        if (strcmp(t->id, id) != 0 && strcmp(t->hostname, a->host) == 0) {
            agora_smi_say(why, whylen, "task %s: host name %s already held by task %s", id,
                          a->host, t->id);
            return AGORA_EEXIST;
        }
    }
    for (size_t i = 0; i < sm->n_members; i++) {
        const struct agora_member *m = &sm->members[i];
        if (strcmp(m->hostname, a->host) == 0 && strcmp(m->ip, a->ip) != 0) {
            agora_smi_say(why, whylen, "task %s: host name %s names member %s at %s", id,
                          a->host, m->id, m->ip);
            return AGORA_EEXIST;
        }
    }
    return AGORA_OK;
}

static int task_fill(struct agora_task *t, const struct agora_cmd *cmd, const struct address *a)
{
    t->id = agora_smi_dup_str(agora_smi_str(cmd->u.task.id));
    t->group = agora_smi_dup_str(agora_smi_str(cmd->u.task.group));
    t->hostname = agora_smi_dup_str(a->host);
    t->ip = agora_smi_dup_str(a->ip);
    t->addr = a->addr;
    t->goal = cmd->u.task.goal;
    t->image = agora_smi_dup_str(agora_smi_str(cmd->u.task.image));
    t->network = agora_smi_dup_str(agora_smi_str(cmd->u.task.network));
    t->cpus_milli = cmd->u.task.cpus_milli;
    t->mem_mb = cmd->u.task.mem_mb;
    t->spec = agora_smi_dup_str(agora_smi_str(cmd->u.task.spec));
    t->state = AGORA_TASK_NONE;
    t->agent_id = agora_smi_dup_str("");
    t->message = agora_smi_dup_str("");
    if (!t->id || !t->group || !t->hostname || !t->ip || !t->image || !t->network || !t->spec ||
        !t->agent_id || !t->message) {
        agora_smi_task_clear(t);
        return AGORA_ENOMEM;
    }
    return AGORA_OK;
}

int agora_smi_task_prepare(const struct agora_sm *sm, const struct agora_cmd *cmd,
                           struct agora_task *t, char *why, size_t whylen)
{
    const char *id = agora_smi_str(cmd->u.task.id);
    const char *host = agora_smi_str(cmd->u.task.hostname);
    struct address a;
    size_t pos;
    int rc = AGORA_OK;
    memset(t, 0, sizeof *t);
    memset(&a, 0, sizeof a);
    if (host[0] != '\0') {
        rc = check_address(sm, "task", id, host, agora_smi_str(cmd->u.task.ip), &a, why, whylen);
        if (rc == AGORA_OK)
            rc = task_conflicts(sm, id, &a, why, whylen);
    }
    if (rc == AGORA_OK && !agora_smi_find_task(sm, id, &pos) &&
        sm->n_tasks >= AGORA_SM_MAX_TASKS) {
        agora_smi_say(why, whylen, "task %s: already %u tasks", id, AGORA_SM_MAX_TASKS);
        rc = AGORA_ETOOBIG;
    }
    return rc == AGORA_OK ? task_fill(t, cmd, &a) : rc;
}

/* ---- configuration --------------------------------------------------------------------- */

/* 1..max of [a-z0-9-], first a letter, last not '-' unless hyphen_end. */
static bool label_ok(const char *v, size_t max, bool hyphen_end)
{
    size_t n = strlen(v);
    if (n == 0 || n > max || v[0] < 'a' || v[0] > 'z')
        return false;
    if (!hyphen_end && v[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        bool ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '-';
        if (!ok)
            return false;
    }
    return true;
}

static int config_syntax(int idx, const char *v, char *why, size_t whylen)
{
    bool ok = false;
    switch (idx) {
    case AGORA_CFG_ALIAS_PREFIX: ok = label_ok(v, AGORA_SM_ALIAS_PREFIX_MAX, true); break;
    case AGORA_CFG_ALLOW_KEY_OPTIONS: ok = !strcmp(v, "true") || !strcmp(v, "false"); break;
    case AGORA_CFG_CLUSTER: ok = !strcmp(v, "up") || !strcmp(v, "down"); break;
    case AGORA_CFG_LEADER_ALIAS: ok = label_ok(v, 63, false); break;
    default: break;
    }
    if (!ok) {
        agora_smi_say(why, whylen, "config %s: bad value \"%s\" (see docs/state-machine.md)",
                      cfg_name(idx), v);
        return AGORA_EINVAL;
    }
    return AGORA_OK;
}

static bool has_option_key(const struct agora_sm *sm, const char **who)
{
    for (size_t i = 0; i < sm->n_members; i++) {
        if (sm->members[i].key_options[0] != '\0') {
            *who = sm->members[i].id;
            return true;
        }
    }
    return false;
}

/* The new value must not collide with a host name or with the other alias. */
static int config_collisions(const struct agora_sm *sm, int idx, const char *v, char *why,
                             size_t whylen)
{
    struct holder h;
    const char *who;
    const char *prefix = agora_sm_config(sm, AGORA_CFG_ALIAS_PREFIX);
    const char *leader = agora_sm_config(sm, AGORA_CFG_LEADER_ALIAS);
    if ((idx == AGORA_CFG_ALIAS_PREFIX && is_alias_of(v, leader)) ||
        (idx == AGORA_CFG_LEADER_ALIAS && is_alias_of(prefix, v))) {
        agora_smi_say(why, whylen, "config %s: \"%s\" collides with the other alias",
                      cfg_name(idx), v);
        return AGORA_EINVAL;
    }
    if ((idx == AGORA_CFG_ALIAS_PREFIX && find_host(sm, is_alias_of, v, &h)) ||
        (idx == AGORA_CFG_LEADER_ALIAS && find_host(sm, same_name, v, &h))) {
        agora_smi_say(why, whylen, "config %s: \"%s\" collides with host name %s of %s %s",
                      cfg_name(idx), v, h.hostname, h.what, h.id);
        return AGORA_EEXIST;
    }
    if (idx == AGORA_CFG_ALLOW_KEY_OPTIONS && strcmp(v, "false") == 0 &&
        has_option_key(sm, &who)) {
        agora_smi_say(why, whylen, "config allow_key_options: member %s holds a key with options",
                      who);
        return AGORA_EINVAL;
    }
    return AGORA_OK;
}

int agora_smi_config_check(const struct agora_sm *sm, const char *key, const char *value,
                           int *idx, char *why, size_t whylen)
{
    *idx = agora_smi_config_index(key);
    if (*idx < 0) {
        agora_smi_say(why, whylen, "unknown config key \"%s\"", key);
        return AGORA_EINVAL;
    }
    int rc = config_syntax(*idx, value, why, whylen);
    return rc == AGORA_OK ? config_collisions(sm, *idx, value, why, whylen) : rc;
}

