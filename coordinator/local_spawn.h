/* local_spawn.h: starting one "container" of the local launcher as a
 * process tree (docs/launchers.md, "Local backend"):
 *
 *   agorad ─ A (supervisor: unshare mount+UTS+PID, host name, volumes)
 *              └ B (PID 1 of the new PID namespace: fresh /proc, reaps)
 *                  └ C (the task's command, execve'd)
 *
 * A and B forward SIGTERM/SIGINT/SIGHUP down and exit with C's status
 * (128+N when C died of signal N); all three die with their parent
 * (PR_SET_PDEATHSIG), and every process of the namespace dies with B. Without
 * namespaces (not root, or no_namespaces) A execs the command itself and
 * volumes are not mounted. Everything the child needs is prepared before
 * fork(); the child only makes system calls. */
#ifndef AGL_LOCAL_SPAWN_H
#define AGL_LOCAL_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "cluster_spec.h"

#define AGL_SPAWN_MSG_MAX 256

struct agl_spawn {
    pid_t pid;                     /* A */
    int status_fd;                 /* read end: EOF = exec'd; text = why not */
    bool namespaces;               /* A unshared its namespaces */
};

/* True if this process may create mount, UTS and PID namespaces (probed
 * once with a throw-away child). */
bool agl_spawn_namespaces_available(void);

/* Starts d. log_path NULL: stdout/stderr inherited. extra_env: NULL-ended
 * "K=V" list added after the definition's env. Returns 0, or -1 with why. */
int agl_spawn(const struct agl_task_def *d, bool namespaces, const char *log_path,
              char *const *extra_env, struct agl_spawn *out, char *why, size_t whylen);

/* "exited with status 3" / "killed by signal 9" for a waitpid status. */
void agl_spawn_describe_status(int status, char *out, size_t outlen);

#endif
