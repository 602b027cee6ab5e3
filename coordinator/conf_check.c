/* conf_check.c: the fields of agorad.json (agorad.json(5)): identity,
 * files, timing, launcher, logging. The volume, the leader command and the
 * Mesos launcher's settings are in conf_volume.c, conf_cmd.c and
 * conf_mesos.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "agora/sm.h"
#include "agora/validate.h"
#include "conf_int.h"
#include "log.h"

#define SSH_KEY_FILE_MAX 16384u
#define CLUSTER_KEY_MIN 16
#define CLUSTER_KEY_MAX (1024 + 64)

static const char *const top_fields[] = {
    "id", "name", "hostname", "ip", "ssh_public_key_file", "volume", "bricks", "key_file",
    "lease_ms", "heartbeat_ms", "member_ttl_ms", "drift_permille", "leader_command",
    "cluster_spec", "launcher", "log_level", "history_log", "inbox_dir",
    "client_socket", "mesos", NULL,
};

/* The member id must be what the state machine takes as an id. */
static int check_name(struct cfg_ctx *x, struct agd_config *c, json_t *root)
{
    if (cfg_str(x, root, NULL, "name", AGORA_SM_ID_MAX, true, &c->name) != 0)
        return -1;
    struct agora_cmd cmd;
    char why[256];
    agora_cmd_init(&cmd);
    cmd.kind = AGORA_CMD_MEMBER_LEAVE;
    cmd.u.leave.id = c->name;
    if (agora_cmd_check_shape(&cmd, why, sizeof(why)) != AGORA_OK)
        return cfg_fail(x, "name", "%s", why);
    return 0;
}

int cfg_host(struct cfg_ctx *x, const char *field, const char *s, char **out)
{
    struct agora_ip ip;
    char why[256], text[64];
    *out = NULL;
    if (agora_parse_ip(s, strlen(s), &ip, NULL, 0) == AGORA_OK) {
        if (agora_format_ip(&ip, text, sizeof(text)) != AGORA_OK)
            return cfg_fail(x, field, "cannot format the address");
        *out = strdup(text);
    } else if (agora_valid_hostname(s, strlen(s), why, sizeof(why)) != AGORA_OK) {
        return cfg_fail(x, field, "must be a host name or an IP address: %s", why);
    } else {
        *out = strdup(s);
    }
    return *out == NULL ? cfg_fail(x, field, "out of memory") : 0;
}

static int check_host(struct cfg_ctx *x, struct agd_config *c, json_t *root)
{
    char why[256], *ip = NULL;
    if (cfg_str(x, root, NULL, "hostname", AGORA_HOSTNAME_MAX, true, &c->hostname) != 0)
        return -1;
    if (agora_valid_hostname(c->hostname, strlen(c->hostname), why, sizeof(why)) != AGORA_OK)
        return cfg_fail(x, "hostname", "%s", why);
    if (cfg_str(x, root, NULL, "ip", 64, true, &ip) != 0)
        return -1;
    struct agora_ip addr;
    char text[64];
    int rc = agora_parse_ip(ip, strlen(ip), &addr, why, sizeof(why));
    free(ip);
    if (rc != AGORA_OK)
        return cfg_fail(x, "ip", "%s", why);
    if (agora_format_ip(&addr, text, sizeof(text)) != AGORA_OK ||
        (c->ip = strdup(text)) == NULL)
        return cfg_fail(x, "ip", "out of memory");
    return 0;
}

/* The member's SSH public key: one authorized_keys line, no options. */
static int check_ssh_key(struct cfg_ctx *x, struct agd_config *c, json_t *root)
{
    const char *f = "ssh_public_key_file";
    char why[AGD_CONFIG_ERR_MAX], *text;
    size_t len;
    if (cfg_path(x, root, NULL, f, true, &c->ssh_key_file) != 0)
        return -1;
    if (cfg_read_file(c->ssh_key_file, SSH_KEY_FILE_MAX, &text, &len, why, sizeof(why)) != 0)
        return cfg_fail(x, f, "%s", why);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    struct agora_sshkey_policy pol = {.allow_options = false, .max_len = 0};
    struct agora_sshkey key;
    memset(&key, 0, sizeof(key));
    int rc = agora_parse_sshkey(text, len, &pol, &key, why, sizeof(why));
    agora_sshkey_clear(&key);
    if (rc != AGORA_OK) {
        free(text);
        return cfg_fail(x, f, "%s: not one valid SSH public key line: %s", c->ssh_key_file, why);
    }
    c->ssh_key = text;
    return 0;
}

/* The cluster key must be readable by root alone (DESIGN.md, Security);
 * the same rules as agora_key_load(). */
static int check_key_file(struct cfg_ctx *x, struct agd_config *c, json_t *root)
{
    const char *f = "key_file";
    struct stat st;
    if (cfg_path(x, root, NULL, f, true, &c->key_file) != 0)
        return -1;
    if (lstat(c->key_file, &st) != 0)
        return cfg_fail(x, f, "%s: %s", c->key_file, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return cfg_fail(x, f, "%s: is a symbolic link", c->key_file);
    if (!S_ISREG(st.st_mode))
        return cfg_fail(x, f, "%s: not a regular file", c->key_file);
    if ((st.st_mode & 077) != 0)
        return cfg_fail(x, f, "%s: mode 0%03o, must be 0600 or stricter", c->key_file,
                        (unsigned)(st.st_mode & 0777));
    if (st.st_size < CLUSTER_KEY_MIN || st.st_size > CLUSTER_KEY_MAX)
        return cfg_fail(x, f, "%s: must hold %d to 1024 bytes of key, has %lld bytes",
                        c->key_file, CLUSTER_KEY_MIN, (long long)st.st_size);
    return 0;
}

static int check_timing(struct cfg_ctx *x, struct agd_config *c, json_t *root)
{
    if (cfg_uint(x, root, NULL, "lease_ms", 100, 60000, AGD_DEF_LEASE_MS, false,
                 &c->lease_ms) != 0 ||
        cfg_uint(x, root, NULL, "heartbeat_ms", 10, 30000, AGD_DEF_HEARTBEAT_MS, false,
                 &c->heartbeat_ms) != 0 ||
        cfg_uint(x, root, NULL, "member_ttl_ms", 100, 3600000, AGD_DEF_MEMBER_TTL_MS, false,
                 &c->member_ttl_ms) != 0 ||
        cfg_uint(x, root, NULL, "drift_permille", 1, 500, AGD_DEF_DRIFT_PERMILLE, false,
                 &c->drift_permille) != 0)
        return -1;
    /* Several renewals must fit in one lease, or one lost round loses it. */
    if (c->heartbeat_ms > c->lease_ms / 2)
        return cfg_fail(x, "heartbeat_ms", "must be at most half of lease_ms (%u), got %u",
                        c->lease_ms / 2, c->heartbeat_ms);
    /* A member must be able to miss a heartbeat without being expired. */
    if (c->member_ttl_ms < 2 * c->heartbeat_ms)
        return cfg_fail(x, "member_ttl_ms", "must be at least twice heartbeat_ms (%u), got %u",
                        2 * c->heartbeat_ms, c->member_ttl_ms);
    return 0;
}

static int check_misc(struct cfg_ctx *x, struct agd_config *c, json_t *root)
{
    char *s = NULL;
    if (cfg_str(x, root, NULL, "launcher", 16, false, &s) != 0)
        return -1;
    c->launcher = AGD_LAUNCHER_LOCAL;
    if (s != NULL && strcmp(s, "mesos") == 0)
        c->launcher = AGD_LAUNCHER_MESOS;
    else if (s != NULL && strcmp(s, "local") != 0) {
        free(s);
        return cfg_fail(x, "launcher", "must be \"local\" or \"mesos\"");
    }
    free(s);
    if (cfg_str(x, root, NULL, "log_level", 16, false, &s) != 0)
        return -1;
    c->log_level = AGD_INFO;
    int bad = s != NULL && agd_log_level_parse(s, &c->log_level) != 0;
    free(s);
    if (bad)
        return cfg_fail(x, "log_level",
                        "must be one of \"error\", \"warning\", \"notice\", \"info\", \"debug\"");
    return cfg_path(x, root, NULL, "cluster_spec", false, &c->cluster_spec) != 0 ||
                   cfg_path(x, root, NULL, "history_log", false, &c->history_log) != 0 ||
                   cfg_path(x, root, NULL, "inbox_dir", false, &c->inbox_dir) != 0
               ? -1
               : 0;
}

/* The client API's unix socket (client_api.h): a path that fits a
 * sockaddr_un, or false for none; absent: agorad.sock in
 * $RUNTIME_DIRECTORY (systemd's RuntimeDirectory), else /run/agora. */
static int check_client_socket(struct cfg_ctx *x, struct agd_config *c, json_t *root)
{
    const char *f = "client_socket";
    const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    json_t *v = json_object_get(root, f);
    char got[64];
    if (json_is_false(v))
        return 0;
    if (v != NULL && !json_is_string(v))
        return cfg_fail(x, f, "must be a path or false, got %s", cfg_show(v, got, sizeof(got)));
    if (v != NULL) {
        if (cfg_path(x, root, NULL, f, false, &c->client_socket) != 0)
            return -1;
    } else {
        const char *rt = getenv("RUNTIME_DIRECTORY");
        int n = rt != NULL && *rt != '\0'
                    ? asprintf(&c->client_socket, "%s/" AGD_CLIENT_SOCKET_NAME, rt)
                    : asprintf(&c->client_socket, "%s", AGD_DEF_CLIENT_SOCKET);
        if (n < 0) {
            c->client_socket = NULL;
            return cfg_fail(x, f, "out of memory");
        }
    }
    size_t len = strlen(c->client_socket);
    if (len > max)
        return cfg_fail(x, f, "%s%s is %zu bytes long, a unix socket path holds at most %zu",
                        v == NULL ? "the default " : "", c->client_socket, len, max);
    if (c->client_socket[len - 1] == '/')
        return cfg_fail(x, f, "%s names a folder, not a socket", c->client_socket);
    return 0;
}

int cfg_root(struct cfg_ctx *x, json_t *root, struct agd_config *c)
{
    if (cfg_unknown(x, root, NULL, top_fields) != 0 ||
        cfg_uint(x, root, NULL, "id", 1, UINT32_MAX, 0, true, &c->id) != 0 ||
        check_name(x, c, root) != 0 || check_host(x, c, root) != 0 ||
        check_ssh_key(x, c, root) != 0 || cfg_volume(x, root, c) != 0 ||
        check_key_file(x, c, root) != 0 || check_timing(x, c, root) != 0 ||
        cfg_leader_command(x, root, c) != 0 || check_misc(x, c, root) != 0 ||
        cfg_mesos(x, root, c) != 0 || check_client_socket(x, c, root) != 0)
        return -1;
    return 0;
}
