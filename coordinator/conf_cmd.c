/* conf_cmd.c: "leader_command": the command agorad runs only while it
 * holds the lease (leader_cmd.h).
 *   "leader_command": {"argv": ["jupyter", "lab"], "grace_ms": 1000, "margin_ms": 200}
 * It is sent SIGTERM at lease_end - grace - margin and SIGKILL at
 * lease_end - margin, so its whole life lies inside the lease. That only
 * works if a renewal arrives before then, hence the check against the lease
 * span below. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"

static const char *const cmd_fields[] = {"argv", "grace_ms", "margin_ms", NULL};

static int check_argv(struct cfg_ctx *x, json_t *cmd, struct agd_config *c)
{
    char f[64], got[64];
    json_t *arr = json_object_get(cmd, "argv");
    if (arr == NULL)
        return cfg_fail(x, "leader_command.argv", "missing (an array of strings)");
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > AGD_MAX_ARGV)
        return cfg_fail(x, "leader_command.argv", "must be an array of 1 to %d strings, got %s",
                        AGD_MAX_ARGV, cfg_show(arr, got, sizeof(got)));
    c->leader_argv = calloc(json_array_size(arr) + 1, sizeof(char *));
    if (c->leader_argv == NULL)
        return cfg_fail(x, "leader_command.argv", "out of memory");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        snprintf(f, sizeof(f), "leader_command.argv[%zu]", i);
        if (!json_is_string(v))
            return cfg_fail(x, f, "must be a string, got %s", cfg_show(v, got, sizeof(got)));
        if (json_string_length(v) != strlen(json_string_value(v)))
            return cfg_fail(x, f, "must not contain a NUL character");
        if (i == 0 && json_string_length(v) == 0)
            return cfg_fail(x, f, "must not be empty");
        if ((c->leader_argv[i] = strdup(json_string_value(v))) == NULL)
            return cfg_fail(x, f, "out of memory");
    }
    /* A program given by path must be there now; a bare name is looked up
     * in PATH when it starts. */
    const char *prog = c->leader_argv[0];
    if (strchr(prog, '/') != NULL && access(prog, X_OK) != 0)
        return cfg_fail(x, "leader_command.argv[0]", "%s is not an executable file", prog);
    return 0;
}

int cfg_leader_command(struct cfg_ctx *x, json_t *root, struct agd_config *c)
{
    char got[64];
    c->grace_ms = AGD_DEF_GRACE_MS;
    c->margin_ms = AGD_DEF_MARGIN_MS;
    json_t *cmd = json_object_get(root, "leader_command");
    if (cmd == NULL || json_is_null(cmd))
        return 0;
    if (!json_is_object(cmd))
        return cfg_fail(x, "leader_command", "must be an object with \"argv\", got %s",
                        cfg_show(cmd, got, sizeof(got)));
    if (cfg_unknown(x, cmd, "leader_command", cmd_fields) != 0 || check_argv(x, cmd, c) != 0 ||
        cfg_uint(x, cmd, "leader_command", "grace_ms", 0, 60000, AGD_DEF_GRACE_MS, false,
                 &c->grace_ms) != 0 ||
        cfg_uint(x, cmd, "leader_command", "margin_ms", 10, 10000, AGD_DEF_MARGIN_MS, false,
                 &c->margin_ms) != 0)
        return -1;
    uint32_t span = agd_config_lease_span_ms(c);
    uint64_t need = (uint64_t)c->grace_ms + c->margin_ms + c->heartbeat_ms;
    if (need >= span)
        return cfg_fail(x, "leader_command.grace_ms",
                        "grace_ms + margin_ms + heartbeat_ms must be below the lease less the "
                        "drift margin (%u ms), got %llu ms", span, (unsigned long long)need);
    return 0;
}
