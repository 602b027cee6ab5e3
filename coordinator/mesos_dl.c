/* mesos_dl.c: dlopen() of libzookeeper-mt for zk:// Mesos masters
 * (mesos_dl.h). The handle is never closed: the functions stay in use for
 * the life of the process. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mesos_dl.h"

struct agl_zk_fns agl_zk;

struct sym {
    const char *name;
    size_t off; /* of the pointer in the table */
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

/* Opens the library and fills agl_zk; result -1 with why set on failure. */
static void load(void)
{
    void *h = dlopen(AGL_ZK_SONAME, RTLD_NOW | RTLD_LOCAL);

    if (h == NULL) {
        const char *e = dlerror();
        snprintf(why, sizeof(why),
                 "mesos launcher: cannot load %s (install the Debian package %s): %s",
                 AGL_ZK_SONAME, AGL_ZK_DEB, e != NULL ? e : "dlopen failed");
        result = -1;
        return;
    }
    for (size_t i = 0; i < sizeof(ZK_SYMS) / sizeof(ZK_SYMS[0]); i++) {
        void *p = dlsym(h, ZK_SYMS[i].name);
        if (p == NULL) {
            snprintf(why, sizeof(why), "mesos launcher: %s has no symbol %s (Debian package %s)",
                     AGL_ZK_SONAME, ZK_SYMS[i].name, AGL_ZK_DEB);
            result = -1;
            return;
        }
        /* POSIX: a data pointer from dlsym converts to a function pointer */
        memcpy((char *)&agl_zk + ZK_SYMS[i].off, &p, sizeof(p));
    }
}

int agl_zk_dl_load(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (result != 0 && err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", why);
    return result;
}
