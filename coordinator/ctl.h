/* ctl.h: what agoractl's subcommands share (agoractl(8)). */
#ifndef AGD_CTL_H
#define AGD_CTL_H

#include <stdbool.h>

/* Exit codes (agoractl(8), EXIT STATUS). */
enum ctl_exit {
    CTL_OK = 0,
    CTL_FAIL = 1,          /* the operation failed (the message says why) */
    CTL_USAGE = 2,         /* bad command line */
    CTL_NO_LEADER = 3,     /* no leader / no quorum reachable */
    CTL_UNAVAILABLE = 69,  /* not available in this build or without bricks */
    CTL_CONFIG = 78,       /* bad agorad.json */
};

struct ctl_opts {
    const char *config;    /* -c */
    const char *mount;     /* --mount: a FUSE mount of the volume */
    bool json;             /* --json */
    const char *name;      /* elect --name */
    bool retry;            /* elect --retry */
    unsigned long long from; /* log --from */
};

struct ctl_cmd {
    const char *name;
    const char *args;      /* synopsis after the name */
    const char *summary;
    const char *help;      /* the rest of --help */
    int (*run)(const struct ctl_opts *o, int argc, char **argv);
};

/* ctl_mount.c: reading /.agora/ of a mount. */
int ctl_cat_file(const struct ctl_opts *o, const char *name);
int ctl_members(const struct ctl_opts *o, int argc, char **argv);
int ctl_status(const struct ctl_opts *o, int argc, char **argv);

#endif
