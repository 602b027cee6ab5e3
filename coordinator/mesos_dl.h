/* mesos_dl.h: libcurl and libzookeeper-mt, loaded with dlopen() only when
 * a Mesos launcher is configured (docs/launchers.md, "Libraries"), so that
 * an agorad with the local launcher never maps them (docs/benchmarks.md,
 * Memory). The headers give the types; the functions mesos_conn.c and
 * zk_discovery.c call are resolved once into the tables below. */
#ifndef AGL_MESOS_DL_H
#define AGL_MESOS_DL_H

#include <stddef.h>

#include <curl/curl.h>
#include <zookeeper/zookeeper.h>

/* The libraries by soname, and the Debian packages that hold them. */
#define AGL_CURL_SONAME "libcurl.so.4"
#define AGL_CURL_DEB "libcurl4"
#define AGL_ZK_SONAME "libzookeeper_mt.so.2"
#define AGL_ZK_DEB "libzookeeper-mt2"

struct agl_curl_fns {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode code);
    void (*easy_cleanup)(CURL *curl);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *curl);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *curl);
    CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s, int ev_bitmask,
                                     int *running_handles);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
    CURLMcode (*multi_cleanup)(CURLM *multi);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *data);
    void (*slist_free_all)(struct curl_slist *list);
};

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

/* Filled by agl_mesos_dl_load; valid once it returned 0. */
extern struct agl_curl_fns agl_curl;
extern struct agl_zk_fns agl_zk;

/* Loads both libraries and resolves every function, once per process
 * (later calls return the first result; thread safe). Returns 0, or -1
 * with e.g. "mesos launcher: cannot load libzookeeper_mt.so.2 (Debian
 * package libzookeeper-mt2): ..." in err. */
int agl_mesos_dl_load(char *err, size_t errlen);

#endif
