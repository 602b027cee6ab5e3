/* mesos_dl.c: dlopen() of libcurl and libzookeeper-mt for the Mesos
 * launcher (mesos_dl.h). The handles are never closed: the functions stay
 * in use for the life of the process. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mesos_dl.h"

struct agl_curl_fns agl_curl;
struct agl_zk_fns agl_zk;

struct sym {
    const char *name;
    size_t off; /* of the pointer in its table */
};

#define CURL_SYM(f) {"curl_" #f, offsetof(struct agl_curl_fns, f)}
static const struct sym CURL_SYMS[] = {
    CURL_SYM(easy_init),        CURL_SYM(easy_setopt),         CURL_SYM(easy_getinfo),
    CURL_SYM(easy_strerror),    CURL_SYM(easy_cleanup),        CURL_SYM(multi_init),
    CURL_SYM(multi_setopt),     CURL_SYM(multi_add_handle),    CURL_SYM(multi_remove_handle),
    CURL_SYM(multi_socket_action), CURL_SYM(multi_info_read), CURL_SYM(multi_cleanup),
    CURL_SYM(slist_append),     CURL_SYM(slist_free_all),
};
#define ZK_SYM(sym, f) {sym, offsetof(struct agl_zk_fns, f)}
static const struct sym ZK_SYMS[] = {
    ZK_SYM("zookeeper_init", init),
    ZK_SYM("zookeeper_close", close),
    ZK_SYM("zoo_state", state),
    ZK_SYM("zoo_aget", aget),
    ZK_SYM("zoo_awget_children", awget_children),
    ZK_SYM("zoo_set_debug_level", set_debug_level),
    ZK_SYM("ZOO_SESSION_EVENT", session_event),
    ZK_SYM("ZOO_CHILD_EVENT", child_event),
    ZK_SYM("ZOO_CONNECTED_STATE", connected_state),
    ZK_SYM("ZOO_EXPIRED_SESSION_STATE", expired_session_state),
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int result;
static char why[512];

/* Opens soname and fills table from syms; -1 with why set on failure. */
static int load(const char *soname, const char *deb, const struct sym *syms, size_t n,
                void *table)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        snprintf(why, sizeof(why),
                 "mesos launcher: cannot load %s (install the Debian package %s): %s", soname,
                 deb, e != NULL ? e : "dlopen failed");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        void *p = dlsym(h, syms[i].name);
        if (p == NULL) {
            snprintf(why, sizeof(why), "mesos launcher: %s has no symbol %s (Debian package %s)",
                     soname, syms[i].name, deb);
            return -1;
        }
        /* POSIX: a data pointer from dlsym converts to a function pointer */
        memcpy((char *)table + syms[i].off, &p, sizeof(p));
    }
    return 0;
}

static void load_all(void)
{
    result = load(AGL_CURL_SONAME, AGL_CURL_DEB, CURL_SYMS, sizeof(CURL_SYMS) / sizeof(CURL_SYMS[0]),
                  &agl_curl);
    if (result == 0)
        result = load(AGL_ZK_SONAME, AGL_ZK_DEB, ZK_SYMS, sizeof(ZK_SYMS) / sizeof(ZK_SYMS[0]),
                      &agl_zk);
}

int agl_mesos_dl_load(char *err, size_t errlen)
{
    pthread_once(&once, load_all);
    if (result != 0 && err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", why);
    return result;
}
