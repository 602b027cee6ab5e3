/* conf_mesos.c: the "mesos" object of agorad.json (agorad.json(5)): how the
 * Mesos launcher reaches the masters and what it subscribes as. Checked
 * here: presence (masters is required with "launcher": "mesos", the object
 * refused with "local"), unknown fields, types, lengths, the role's shape
 * and the failover timeout's range. The masters' syntax is the launcher's
 * own parser's business (agl_masters_check in liblaunch, which libagorad
 * does not link): agorad checks it right after this file is loaded
 * (agd_launch_check, leader_launch.h), with the same message format. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define MASTERS_MAX 1024u          /* zk_discovery.c's host buffer */
#define NAME_MAX_LEN 256u
#define USER_MAX_LEN 32u           /* useradd's limit */
#define FAILOVER_MIN_S 60u
#define FAILOVER_MAX_S 31536000u   /* one year */

static const char *const mesos_fields[] = {
    "masters", "framework_name", "user", "role", "principal", "failover_timeout_s", NULL,
};

/* No control character (they would end up in the master's logs and UI);
 * with no_space, no space either; no byte of also (NULL: none). Returns
 * the offending byte or 0. */
static int bad_char(const char *s, bool no_space, const char *also)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f || (no_space && *p == ' ') ||
            (also != NULL && strchr(also, *p) != NULL))
            return *p;
    }
    return 0;
}

/* mesos.KEY, optional (*out NULL when absent): a string of at most max
 * bytes without control characters, spaces (with no_space) or a byte of
 * also. */
static int check_text(struct cfg_ctx *x, json_t *m, const char *key, size_t max, bool no_space,
                      const char *also, char **out)
{
    char f[64];
    cfg_join(f, sizeof(f), "mesos", key);
    if (cfg_str(x, m, "mesos", key, max, false, out) != 0)
        return -1;
    int b = *out != NULL ? bad_char(*out, no_space, also) : 0;
    if (b != 0 && (b < 0x20 || b == 0x7f))
        return cfg_fail(x, f, "must not contain control characters");
    if (b == ' ')
        return cfg_fail(x, f, "must not contain spaces");
    if (b != 0)
        return cfg_fail(x, f, "must not contain '%c'", b);
    return 0;
}

/* A Mesos role as roles::validate() takes it: "*", or path components
 * separated by '/', none empty, "." or "..", starting with '-' or holding
 * '*'; no space or control character (checked before). */
static int check_role(struct cfg_ctx *x, const char *role)
{
    const char *p = role;
    if (strcmp(role, "*") == 0)
        return 0;
    for (;;) {
        size_t n = strcspn(p, "/");
        if (n == 0)
            return cfg_fail(x, "mesos.role", "\"%s\": a role path has an empty component", role);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return cfg_fail(x, "mesos.role", "\"%s\": '.' and '..' are not roles", role);
        if (p[0] == '-')
            return cfg_fail(x, "mesos.role", "\"%s\": a role must not start with '-'", role);
        if (memchr(p, '*', n) != NULL)
            return cfg_fail(x, "mesos.role", "\"%s\": '*' is only valid as the whole role",
                            role);
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

static int check_masters(struct cfg_ctx *x, json_t *m, struct agd_mesos *ms)
{
    if (json_object_get(m, "masters") == NULL)
        return cfg_fail(x, "mesos.masters", "missing (a string: \"http://host:port,...\" or "
                                            "\"zk://host:port,.../path\")");
    return check_text(x, m, "masters", MASTERS_MAX, true, NULL, &ms->masters);
}

int cfg_mesos(struct cfg_ctx *x, json_t *root, struct agd_config *c)
{
    json_t *m = json_object_get(root, "mesos");
    struct agd_mesos *ms = &c->mesos;
    char got[64];

    if (m == NULL)
        return c->launcher != AGD_LAUNCHER_MESOS
                   ? 0
                   : cfg_fail(x, "mesos.masters",
                              "missing: \"launcher\": \"mesos\" needs \"mesos\": {\"masters\": "
                              "\"http://host:port,...\" or \"zk://host:port,.../path\"}");
    if (!json_is_object(m))
        return cfg_fail(x, "mesos", "must be an object with \"masters\", got %s",
                        cfg_show(m, got, sizeof(got)));
    /* settings that would not be used are a mistake (a cluster meant for
     * Mesos would run as local processes on the leader) */
    if (c->launcher != AGD_LAUNCHER_MESOS)
        return cfg_fail(x, "mesos", "given, but \"launcher\" is \"local\": set \"launcher\": "
                                    "\"mesos\", or remove \"mesos\"");
    if (cfg_unknown(x, m, "mesos", mesos_fields) != 0 || check_masters(x, m, ms) != 0 ||
        check_text(x, m, "framework_name", NAME_MAX_LEN, false, NULL, &ms->framework_name) != 0 ||
        check_text(x, m, "user", USER_MAX_LEN, true, "/:", &ms->user) != 0 ||
        check_text(x, m, "role", NAME_MAX_LEN, true, NULL, &ms->role) != 0 ||
        (ms->role != NULL && check_role(x, ms->role) != 0) ||
        check_text(x, m, "principal", NAME_MAX_LEN, false, NULL, &ms->principal) != 0 ||
        cfg_uint(x, m, "mesos", "failover_timeout_s", FAILOVER_MIN_S, FAILOVER_MAX_S,
                 AGD_DEF_FAILOVER_TIMEOUT_S, false, &ms->failover_timeout_s) != 0)
        return -1;
    /* the tasks must outlive a leader change: the next leader needs up to
     * a lease to take over before it subscribes the framework again */
    if ((uint64_t)ms->failover_timeout_s * 1000u < 2u * (uint64_t)c->lease_ms)
        return cfg_fail(x, "mesos.failover_timeout_s",
                        "must be at least twice lease_ms (%u s), got %u",
                        (unsigned)((2u * (uint64_t)c->lease_ms + 999u) / 1000u),
                        ms->failover_timeout_s);
    return 0;
}

void cfg_mesos_free(struct agd_mesos *ms)
{
    free(ms->masters);
    free(ms->framework_name);
    free(ms->user);
    free(ms->role);
    free(ms->principal);
}
