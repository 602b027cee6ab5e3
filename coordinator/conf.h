/* conf.h: agorad's configuration, one JSON file (default
 * /etc/agora/agorad.json; agorad.json(5) describes every field).
 *
 * Every bad value stops start-up with one line naming the file, the field
 * path and the reason:
 *   agorad.json: field 'lease_ms': must be between 100 and 60000, got 5
 * Unknown fields are errors too (a typo must not silently fall back to a
 * default). Relative paths in the file are relative to the file's folder. */
#ifndef AGD_CONF_H
#define AGD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGD_CONFIG_DEFAULT "/etc/agora/agorad.json"
#define AGD_CONFIG_ERR_MAX 512
#define AGD_MAX_BRICKS 7          /* AGORA_MAX_ACCEPTORS */
#define AGD_MAX_SERVERS 16
#define AGD_MAX_ARGV 256

enum agd_launcher {
    AGD_LAUNCHER_LOCAL = 1,
    AGD_LAUNCHER_MESOS = 2,
};

struct agd_brick {
    char *host;                   /* host name or IP */
    char *path;                   /* brick path on that host */
    char *username, *password;    /* from the volfile server's volfile; NULL = none */
};

/* "mesos": the Mesos launcher (conf_mesos.c; agorad.json(5)). Given only
 * with "launcher": "mesos", which requires masters. NULL strings and 0
 * take the launcher's defaults (launcher.h, agl_config_defaults). */
struct agd_mesos {
    char *masters;                /* "http://h:p,h:p" or "zk://h:p,h:p/path"; NULL = none */
    char *framework_name;         /* default "agora" */
    char *user;                   /* default "root" */
    char *role;                   /* default "*" */
    char *principal;              /* default none */
    uint32_t failover_timeout_s;  /* default AGD_DEF_FAILOVER_TIMEOUT_S */
};

struct agd_config {
    char *file;                   /* the path it was read from */
    uint32_t id;                  /* node id for ballots, > 0 */
    char *name;                   /* member id in the state machine */
    char *hostname;
    char *ip;                     /* canonical text */
    char *ssh_key_file;
    char *ssh_key;                /* the key line read from ssh_key_file */
    char *volume;                 /* NULL when bricks are listed */
    char **servers;               /* volfile servers with `volume` */
    size_t n_servers;
    struct agd_brick *bricks;     /* explicit brick list, or NULL */
    size_t n_bricks;
    char *key_file;               /* cluster key (HMAC) */
    uint32_t lease_ms;
    uint32_t heartbeat_ms;
    uint32_t member_ttl_ms;
    uint32_t drift_permille;
    char **leader_argv;           /* NULL-terminated, NULL = no command */
    uint32_t grace_ms;            /* SIGTERM .. SIGKILL */
    uint32_t margin_ms;           /* SIGKILL is sent this long before the lease ends */
    char *cluster_spec;           /* NULL = none */
    enum agd_launcher launcher;
    struct agd_mesos mesos;       /* with AGD_LAUNCHER_MESOS */
    int log_level;                /* enum agd_level */
    char *history_log;            /* NULL = none */
    char *inbox_dir;              /* registration inbox on a mount; NULL = none */
    char *client_socket;          /* client API socket (client_api.h); NULL = none */
};

/* Defaults and limits (agorad.json(5)). */
#define AGD_DEF_LEASE_MS 3000u
#define AGD_DEF_HEARTBEAT_MS 500u
#define AGD_DEF_MEMBER_TTL_MS 5000u
#define AGD_DEF_DRIFT_PERMILLE 50u
#define AGD_DEF_GRACE_MS 1000u
#define AGD_DEF_MARGIN_MS 200u
#define AGD_DEF_FAILOVER_TIMEOUT_S 604800u /* one week, as Marathon */
/* client_socket when absent: in $RUNTIME_DIRECTORY if set, else here */
#define AGD_DEF_CLIENT_SOCKET "/run/agora/agorad.sock"
#define AGD_CLIENT_SOCKET_NAME "agorad.sock"

/* Reads and checks path. On error returns -1 with the message in err; *c is
 * then empty (nothing to free, but freeing is harmless). */
int agd_config_load(const char *path, struct agd_config *c, char *err, size_t errlen);

/* The same from text; `file` names it in messages and anchors relative
 * paths. */
int agd_config_parse(const char *file, const char *text, size_t len, struct agd_config *c,
                     char *err, size_t errlen);

void agd_config_free(struct agd_config *c);

/* Lease span the leader may act in: lease * (1 - drift/1000), in ms. */
uint32_t agd_config_lease_span_ms(const struct agd_config *c);

/* Number of acceptors (bricks); with `volume` the brick list comes from the
 * volfile server, and this is 0 until the transport has fetched it. */
size_t agd_config_n_bricks(const struct agd_config *c);

#endif
