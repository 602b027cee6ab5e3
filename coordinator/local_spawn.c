/* local_spawn.c: the process tree of one local "container" (local_spawn.h
 * has the picture). The parent prepares argv, envp and paths; the children
 * only make system calls, as a child of a threaded parent must. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "local_spawn.h"

extern char **environ;

struct prep {
    const struct agl_task_def *d;
    char *path;                    /* resolved program */
    char **argv;
    char **envp;
    int log_fd;                    /* -1: inherit */
    int status_w;                  /* write end, O_CLOEXEC */
    bool ns;
};

/* ---- child side: system calls only ----------------------------------------- */

static volatile pid_t g_child = -1;

static void forward(int sig)
{
    if (g_child > 0)
        kill(g_child, sig);
}

static void say(int fd, const char *step, const char *arg, int err)
{
    char buf[AGL_SPAWN_MSG_MAX];
    int n = snprintf(buf, sizeof buf, "%s %s: %s", step, arg, strerror(err));
    if (n > 0 && write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
        _exit(126);
}

static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(125);
}

static void reset_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    }
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return errno;
        buf[i] = c;
    }
    return 0;
}

/* In A after unshare: private mounts, host name, volumes. */
static void setup_ns(const struct prep *p)
{
    const struct agl_task_def *d = p->d;

    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        say(p->status_w, "make mounts private", "/", errno), _exit(127);
    if (sethostname(d->hostname, strlen(d->hostname)) != 0)
        say(p->status_w, "sethostname", d->hostname, errno), _exit(127);
    for (size_t i = 0; i < d->n_volumes; i++) {
        const struct agl_volume *v = &d->volumes[i];
        int err = mkdir_p(v->container_path);
        if (err != 0)
            say(p->status_w, "mkdir", v->container_path, err), _exit(127);
        if (mount(v->host_path, v->container_path, NULL, MS_BIND | MS_REC, NULL) != 0)
            say(p->status_w, "bind-mount", v->host_path, errno), _exit(127);
        if (v->read_only && mount(NULL, v->container_path, NULL,
                                  MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
            say(p->status_w, "read-only remount", v->container_path, errno), _exit(127);
    }
}

static int code_of(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Forwards signals to child until it ends; returns its exit code. Reaps
 * every other child too (B is PID 1 of its namespace). */
static int supervise(pid_t child)
{
    struct sigaction sa;
    int status;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    g_child = child;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    for (;;) {
        pid_t w = waitpid(-1, &status, 0);
        if (w == child)
            return code_of(status);
        if (w < 0 && errno != EINTR)
            return 127;
    }
}

static void run_command(const struct prep *p)
{
    execve(p->path, p->argv, p->envp);
    say(p->status_w, "execve", p->path, errno);
    _exit(127);
}

/* B: PID 1 of the new namespace. */
static void run_init(const struct prep *p, pid_t parent)
{
    die_with_parent(parent);
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        say(p->status_w, "mount", "/proc", errno), _exit(127);
    pid_t self = getpid(), c = fork();
    if (c < 0)
        say(p->status_w, "fork", "command", errno), _exit(127);
    if (c == 0) {
        die_with_parent(self);
        run_command(p);
    }
    close(p->status_w);
    _exit(supervise(c));
}

static void run_supervisor(const struct prep *p, pid_t parent)
{
    die_with_parent(parent);
    setsid();
    reset_signals();
    if (p->log_fd >= 0) {
        dup2(p->log_fd, 1);
        dup2(p->log_fd, 2);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    if (!p->ns)
        run_command(p);
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) != 0)
        say(p->status_w, "unshare", "mount,uts,pid", errno), _exit(127);
    setup_ns(p);
    pid_t b = fork();
    if (b < 0)
        say(p->status_w, "fork", "init", errno), _exit(127);
    if (b == 0)
        run_init(p, 0); /* A is outside B's PID namespace: B sees parent 0 */
    close(p->status_w);
    _exit(supervise(b));
}

/* ---- parent side ------------------------------------------------------------ */

static char *resolve(const char *prog)
{
    const char *path = getenv("PATH");
    char *out = NULL;

    if (strchr(prog, '/') != NULL)
        return strdup(prog);
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    while (*path != '\0') {
        size_t n = strcspn(path, ":");
        if (asprintf(&out, "%.*s/%s", (int)n, path, prog) < 0)
            return NULL;
        if (access(out, X_OK) == 0)
            return out;
        free(out);
        out = NULL;
        path += n + (path[n] == ':');
    }
    return strdup(prog); /* execve reports ENOENT */
}

static char **build_argv(const struct agl_task_def *d)
{
    static const char *const hold[] = {"sleep", "infinity", NULL};
    char **v;
    size_t n = 0;

    if (d->cmd != NULL) {
        v = calloc(4, sizeof *v);
        if (v != NULL && ((v[0] = strdup("/bin/sh")) == NULL || (v[1] = strdup("-c")) == NULL ||
                          (v[2] = strdup(d->cmd)) == NULL))
            return v; /* caller checks every element */
        return v;
    }
    char *const *src = d->args != NULL && d->args[0] != NULL ? d->args : (char *const *)hold;
    while (src[n] != NULL)
        n++;
    v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v != NULL && i < n; i++)
        v[i] = strdup(src[i]);
    return v;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

static char **build_env(const struct agl_task_def *d, char *const *extra)
{
    size_t n = 0, k = 0;
    const char *path = getenv("PATH");

    for (size_t i = 0; d->env != NULL && d->env[i] != NULL; i++)
        n++;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        n++;
    char **v = calloc(n + 3, sizeof *v);
    if (v == NULL)
        return NULL;
    if (asprintf(&v[k++], "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin") < 0 ||
        asprintf(&v[k++], "HOSTNAME=%s", d->hostname) < 0) {
        strv_free(v);
        return NULL;
    }
    for (size_t i = 0; d->env != NULL && d->env[i] != NULL; i++)
        v[k++] = strdup(d->env[i]);
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        v[k++] = strdup(extra[i]);
    return v;
}

static bool complete(char **v, size_t expect_min)
{
    size_t n = 0;
    if (v == NULL)
        return false;
    while (v[n] != NULL)
        n++;
    return n >= expect_min;
}

int agl_spawn(const struct agl_task_def *d, bool namespaces, const char *log_path,
              char *const *extra_env, struct agl_spawn *out, char *why, size_t whylen)
{
    struct prep p = {.d = d, .log_fd = -1, .ns = namespaces};
    int fds[2] = {-1, -1}, rc = -1;
    pid_t self = getpid();

    p.argv = build_argv(d);
    p.envp = build_env(d, extra_env);
    p.path = complete(p.argv, 1) ? resolve(p.argv[0]) : NULL;
    if (p.path == NULL || !complete(p.envp, 2)) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (log_path != NULL &&
        (p.log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0) {
        snprintf(why, whylen, "log %s: %s", log_path, strerror(errno));
        goto out;
    }
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        goto out;
    }
    p.status_w = fds[1];
    out->pid = fork();
    if (out->pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(fds[0]);
        goto out;
    }
    if (out->pid == 0)
        run_supervisor(&p, self);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    out->status_fd = fds[0];
    out->namespaces = namespaces;
    rc = 0;
out:
    if (fds[1] >= 0)
        close(fds[1]);
    if (p.log_fd >= 0)
        close(p.log_fd);
    strv_free(p.argv);
    strv_free(p.envp);
    free(p.path);
    return rc;
}

bool agl_spawn_namespaces_available(void)
{
    static int known = -1;
    int status;

    if (known >= 0)
        return known;
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) == 0 ? 0 : 1);
    known = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0;
    return known;
}

void agl_spawn_describe_status(int status, char *out, size_t outlen)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) < 128 + NSIG)
        snprintf(out, outlen, "killed by signal %d", WEXITSTATUS(status) - 128);
    else if (WIFEXITED(status))
        snprintf(out, outlen, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, outlen, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, outlen, "ended (status 0x%x)", (unsigned)status);
}
