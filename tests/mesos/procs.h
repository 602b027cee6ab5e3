/* procs.h: the outside processes the Mesos tests start, each by PID and
 * stopped by that PID (never by name): the Mesos master emulator and a
 * ZooKeeper server of the test's own (loopback, own data dir and port). */
#ifndef AGL_PROCS_H
#define AGL_PROCS_H

#include <jansson.h>
#include <sys/types.h>

struct emu {
    pid_t pid;
    int base_port, control_port, masters;
    char dir[256];
};

/* A free loopback TCP port (bound once to port 0, then released). */
int procs_free_port(void);
/* Starts tests/mesos/mesos-master-emulator.py with `args` added (a
 * NULL-terminated list); returns 0 once it is ready. */
int emu_start(struct emu *e, int masters, const char *const *args);
void emu_stop(struct emu *e);
/* GET /state (json_decref it), POST /ACTION (e.g. "kill-leader"). */
json_t *emu_state(struct emu *e);
int emu_post(struct emu *e, const char *action);
/* "http://127.0.0.1:P1,http://127.0.0.1:P2,..." with the master `first` first. */
void emu_masters_url(struct emu *e, int first, char *out, size_t outlen);

struct zk {
    pid_t pid;
    int port;
    char dir[256];
};

/* Starts a ZooKeeper server (zkServer.sh start-foreground, which execs the
 * JVM: the PID is the server's). Returns 0 once it accepts connections,
 * -1 if ZooKeeper is not installed or does not come up (tests skip). */
int zk_start(struct zk *z);
void zk_stop(struct zk *z);

#endif
