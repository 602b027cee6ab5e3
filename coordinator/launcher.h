/* launcher.h: the one interface between the leader and whatever runs the
 * cluster spec's containers (docs/launchers.md). Two backends:
 *   local  the embedded default: each container is a local process, in its
 *          own mount/UTS/PID namespaces where available (launcher_local.c);
 *   mesos  a Mesos v1 scheduler HTTP API framework (mesos_*.c).
 *
 * The state lives in the consensus log, not here. The leader records the
 * desired tasks (TASK_DESIRED, see agl_spec_plan in cluster_spec.h); the
 * launcher reads the committed state at every agl_launcher_sync() and acts on
 * it; what it observes it hands back through host->propose() as log entries
 * (TASK_OBSERVED, FRAMEWORK_ID, TASK_REMOVE), which come back committed
 * through the next sync. While the log's config "cluster" is "down" it
 * launches nothing (Mesos: TEARDOWN, then no framework). So a new leader starts a launcher on the same
 * state and re-subscribes the same Mesos framework; nothing is launched
 * twice.
 *
 * Fencing: a launcher acts for one leader ballot, given at start. Once a
 * sync shows a higher leader ballot, or after agl_launcher_stop(), it sends
 * nothing more (the Mesos master's own fence is the framework id: the new
 * leader's SUBSCRIBE fails the old one over).
 *
 * Driving: single-threaded, never blocks. The launcher asks the host's
 * event loop to watch file descriptors (host->watch_fd) and to wake it at
 * a time (host->wake_at); the loop calls agl_launcher_on_fd() and
 * agl_launcher_on_timer(). With agorad's loop (loop.h): watch_fd maps to
 * agd_loop_add_fd/set_events/del_fd, wake_at to agd_timer_arm on one timer,
 * now to agd_loop_now. All callbacks run on the loop's thread. */
#ifndef AGL_LAUNCHER_H
#define AGL_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>

#include "agora/ballot.h"
#include "agora/common.h"
#include "agora/sm.h"

#define AGL_NEVER UINT64_MAX
#define AGL_ERR_MAX 512

enum agl_backend { AGL_BACKEND_LOCAL = 1, AGL_BACKEND_MESOS = 2 };

/* What the daemon gives a launcher. Every function is called on the loop's
 * thread; none may call back into the launcher. */
struct agl_host {
    void *ctx;
    /* Monotonic ns (the loop's clock). */
    agora_time_t (*now)(void *ctx);
    /* Watch fd for events (POLLIN|POLLOUT); events 0: stop watching it.
     * Returns 0 or -1. */
    int (*watch_fd)(void *ctx, int fd, short events);
    /* Call agl_launcher_on_timer() at `when` (replaces the previous
     * wake-up; AGL_NEVER cancels it). */
    void (*wake_at)(void *ctx, agora_time_t when);
    /* Propose an entry for the log under the launcher's ballot. The cmd and
     * its strings are valid only during the call. Returns 0 when queued. */
    int (*propose)(void *ctx, const struct agora_cmd *cmd);
    /* A log line (severity as syslog: 3 err .. 7 debug); may be NULL. */
    void (*log)(void *ctx, int level, const char *line);
};

struct agl_config {
    enum agl_backend backend;
    const char *node;              /* this host's member id (local agent id) */

    /* local */
    const char *log_dir;           /* task stdout/stderr as DIR/<task>.log; NULL inherits */
    bool no_namespaces;            /* run plain processes even as root */

    /* mesos */
    const char *masters;           /* "http://h:p,h:p" or "zk://h:p,h:p/path" */
    const char *framework_name;    /* default "agora" */
    const char *user;              /* default "root" */
    const char *role;              /* default "*" */
    const char *principal;         /* may be NULL */
    double failover_timeout_s;     /* default 604800 (one week) */
    double refuse_seconds;         /* DECLINE filter, default 5 */
    double watchdog_heartbeats;    /* missed heartbeats before reconnect, default 5 */
    double backoff_min_s;          /* re-subscribe back-off, default 1 */
    double backoff_max_s;          /* its cap, default 15 */
    double reconcile_retry_s;      /* explicit reconciliation retry, default 5 */
    double call_timeout_s;         /* one HTTP call, default 75 */
};

struct agl_launcher;

/* Builds a launcher (nothing runs until agl_launcher_start). NULL with the
 * reason in err on a bad configuration. */
struct agl_launcher *agl_launcher_new(const struct agl_config *cfg, const struct agl_host *host,
                                      char *err, size_t errlen);

/* This node became leader with `ballot`; sm is the committed state. */
int agl_launcher_start(struct agl_launcher *l, struct agora_ballot ballot,
                       const struct agora_sm *sm);

/* The committed state changed (desired tasks, observed states, the
 * framework id, the leader). sm is only read during the call. */
void agl_launcher_sync(struct agl_launcher *l, const struct agora_sm *sm);

/* Event loop entry points. */
void agl_launcher_on_fd(struct agl_launcher *l, int fd, short revents);
void agl_launcher_on_timer(struct agl_launcher *l);

/* Ask the backend to compare its view with reality now (Mesos: explicit then
 * implicit reconciliation; local: a scan of its processes). */
void agl_launcher_reconcile(struct agl_launcher *l);

/* Tears down now: local stops its processes; Mesos sends TEARDOWN and,
 * once the master answers, records the live tasks killed and proposes
 * clearing the framework id (a later start subscribes a new framework).
 * `agoractl cluster down` needs no call: while the committed config
 * "cluster" is "down" a launcher launches nothing and tears down by itself
 * (docs/launchers.md, "Cluster down and up"). */
int agl_launcher_teardown(struct agl_launcher *l);

/* Leadership lost: stop acting at once. local kills its processes (only a
 * leader runs them); mesos closes its connections (tasks keep running under
 * the framework, for the next leader to adopt within failover_timeout). */
void agl_launcher_stop(struct agl_launcher *l);

/* Frees everything (stops first if started). */
void agl_launcher_free(struct agl_launcher *l);

/* For status displays: "local", "mesos: subscribed to 10.0.0.1:5050 as FID". */
void agl_launcher_describe(const struct agl_launcher *l, char *out, size_t outlen);

/* Checks a Mesos master list ("http://h:p,h:p" or "zk://h:p,h:p/path") as
 * the Mesos launcher reads it, without connecting and without loading
 * libzookeeper-mt: the launcher's own parsers (the static list as its init
 * takes it, the zk:// URL as zk_discovery.c splits it), then every host:port
 * as the HTTP client splits it before connecting. Returns 0, or -1 with the
 * reason in why (e.g. "bad address \"h\": expected host:port"). */
int agl_masters_check(const char *masters, char *why, size_t whylen);

/* The config defaults above, filled in where a field is 0/NULL. */
void agl_config_defaults(struct agl_config *cfg);

#endif
