/* mesos_dl.h: libzookeeper-mt, loaded with dlopen() only when a Mesos
 * launcher's masters are a zk:// URL (docs/launchers.md, "Libraries"), so
 * that an agorad with the local launcher, or with http:// masters, never
 * maps it (docs/benchmarks.md, Memory). The header gives the types; the
 * functions zk_discovery.c calls are resolved once into the table below.
 * (The Mesos HTTP API needs no library: http_conn.h is Agora's own.) */
#ifndef AGL_MESOS_DL_H
#define AGL_MESOS_DL_H

#include <stddef.h>

#include <zookeeper/zookeeper.h>

/* The library by soname, and the Debian package that holds it. */
#define AGL_ZK_SONAME "libzookeeper_mt.so.2"
#define AGL_ZK_DEB "libzookeeper-mt2"

struct agl_zk_fns {
    zhandle_t *(*init)(const char *host, watcher_fn fn, int recv_timeout,
                       const clientid_t *clientid, void *context, int flags);
    int (*close)(zhandle_t *zh);
    int (*state)(zhandle_t *zh);
    int (*aget)(zhandle_t *zh, const char *path, int watch, data_completion_t completion,
                const void *data);
    int (*awget_children)(zhandle_t *zh, const char *path, watcher_fn watcher, void *watcher_ctx,
                          strings_completion_t completion, const void *data);
    void (*set_debug_level)(ZooLogLevel level);
    /* constants the library exports as variables */
    const int *session_event, *child_event, *connected_state, *expired_session_state;
};

/* Filled by agl_zk_dl_load; valid once it returned 0. */
extern struct agl_zk_fns agl_zk;

/* Loads libzookeeper-mt and resolves every function, once per process
 * (later calls return the first result; thread safe). Called by agorad at
 * start (and --check) when its masters are a zk:// URL, so that a host
 * without the library refuses to start (agd_launch_check), and again by the
 * Mesos launcher's init, which then finds it loaded. Returns 0, or -1 with
 * e.g. "mesos launcher: cannot load libzookeeper_mt.so.2 (install the
 * Debian package libzookeeper-mt2): ..." in err. */
int agl_zk_dl_load(char *err, size_t errlen);

#endif
