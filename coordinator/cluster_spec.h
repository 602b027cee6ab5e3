/* cluster_spec.h: the cluster spec (docs/cluster-spec.md), one JSON file
 * that says which containers the cluster runs: apps (groups of identical
 * containers, in the shape of a Marathon app definition) each with an image,
 * a command, cpus and mem, environment, a host name pattern, a named network
 * with a static IP pool, volumes and an optional one-per-agent constraint,
 * and which app holds the primary service.
 *
 * Parsing collects every problem, not only the first, each as one line
 * naming the file, the JSON path and the reason:
 *   seed.json: $.apps[0].cpus: must be > 0 and <= 1000, got -0.5
 * `agoractl spec check FILE` prints them (agl_spec_check_file).
 *
 * A parsed spec expands into task definitions (struct agl_task_def), one per
 * instance: that is what the leader records in the consensus log as
 * TASK_DESIRED entries (the definition travels as the entry's opaque `spec`
 * JSON, agl_task_def_to_json) and what the launchers run.
 *
 * agorad's spec holder (spec.h) keeps the file's JSON; agl_spec_check_json
 * has the shape of its agd_spec_check_fn hook. */
#ifndef AGL_CLUSTER_SPEC_H
#define AGL_CLUSTER_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agora/sm.h"

#define AGL_SPEC_MAX_TASKS 1024u   /* AGORA_SM_MAX_TASKS */
#define AGL_SPEC_MAX_INSTANCES 256u
#define AGL_SPEC_PROBLEM_MAX 512u  /* one problem line, bytes */

/* Receives each problem line (no newline). */
typedef void agl_problem_fn(void *ctx, const char *line);

struct agl_volume {
    char *host_path;
    char *container_path;
    bool read_only;
};

struct agl_param {                 /* a docker parameter (--key=value) */
    char *key;
    char *value;
};

/* One container to run: an instance of an app. All strings owned. */
struct agl_task_def {
    char *id;                      /* "<app>-<index>": the task id everywhere */
    char *app;
    uint32_t index;
    char *hostname;                /* UTS host name inside the container */
    char *hosts_name;              /* name in /.agora/hosts ("" = none) */
    char *ip;                      /* static IP ("" = none) */
    char *network;                 /* network name ("" = host network) */
    char *image;
    char *cmd;                     /* command line run by /bin/sh -c, or NULL */
    char **args;                   /* NULL-terminated argv (no shell), or NULL */
    char **env;                    /* NULL-terminated "K=V", sorted, or NULL */
    struct agl_volume *volumes;
    size_t n_volumes;
    struct agl_param *params;
    size_t n_params;
    double cpus;
    double mem;                    /* MB */
    bool one_per_agent;            /* constraint [["hostname","UNIQUE"]] */
    bool primary;                  /* belongs to the spec's primary app */
    double backoff_s;              /* first relaunch delay */
    double backoff_factor;
    double max_delay_s;
    double grace_s;                /* SIGTERM .. SIGKILL on stop */
};

struct agl_spec {
    char *file;
    char *name;
    char *primary;                 /* app id, or NULL */
    struct agl_task_def *tasks;    /* every instance of every app, in order */
    size_t n_tasks;
};

/* Parses text (named `file` in messages). Every problem goes to fn (may be
 * NULL). Returns the number of problems (0: *out is the spec, free it with
 * agl_spec_free), or -1 when out of memory. */
int agl_spec_parse(const char *file, const char *text, size_t len, struct agl_spec **out,
                   agl_problem_fn *fn, void *ctx);
/* The same from parsed JSON. */
int agl_spec_from_json(const char *file, json_t *root, struct agl_spec **out, agl_problem_fn *fn,
                       void *ctx);
/* The same, reading path. A file that cannot be read is one problem. */
int agl_spec_load(const char *path, struct agl_spec **out, agl_problem_fn *fn, void *ctx);
void agl_spec_free(struct agl_spec *s);

/* agd_spec_check_fn: 0, or -1 with the first problem (and the count) in err. */
int agl_spec_check_json(const char *file, json_t *spec, char *err, size_t errlen);

/* `agoractl spec check FILE`: prints every problem to err, or a one-line
 * summary to out. Returns the exit status (0 valid, 1 invalid). */
int agl_spec_check_file(const char *path, FILE *out, FILE *err);

/* ---- task definitions ---------------------------------------------------- */

/* The JSON of d (compact, keys sorted), malloc'd; NULL if out of memory. */
char *agl_task_def_to_json(const struct agl_task_def *d);
/* Parses what agl_task_def_to_json wrote. Returns 0, or -1 with why. */
int agl_task_def_from_json(const char *json, struct agl_task_def *d, char *why, size_t whylen);
int agl_task_def_copy(struct agl_task_def *dst, const struct agl_task_def *src);
void agl_task_def_clear(struct agl_task_def *d);

/* Relaunch delay after `failures` consecutive failures (>= 1), in seconds:
 * backoff * factor^(failures-1), capped at max_delay (Marathon's policy). */
double agl_task_def_delay(const struct agl_task_def *d, unsigned failures);

/* ---- plan: spec -> log entries ------------------------------------------ */

/* Receives one entry to propose. The cmd's strings live until fn returns. */
typedef int agl_cmd_fn(void *ctx, const struct agora_cmd *cmd);

/* Calls fn with the TASK_DESIRED entries that make the state machine's task
 * table match spec: a new or changed task (goal run), and goal stop for a
 * task the spec no longer has. spec NULL stops every task (cluster down).
 * Returns the number of entries, or the first negative rc from fn. */
int agl_spec_plan(const struct agl_spec *spec, const struct agora_sm *sm, agl_cmd_fn *fn,
                  void *ctx);

/* The leader's plan under the log's config "cluster" (`agoractl cluster`):
 * down: every task stopped (agl_spec_plan with no spec); up: the spec's
 * plan, but not while a task the spec names is still on its way out (goal
 * stop in the log: its TASK_REMOVE would race with the new TASK_DESIRED):
 * then nothing is proposed and AGL_PLAN_LATER returned, to be tried again
 * at the next change of the state. Otherwise as agl_spec_plan. */
#define AGL_PLAN_LATER (-1000)
int agl_cluster_plan(const struct agl_spec *spec, const struct agora_sm *sm, agl_cmd_fn *fn,
                     void *ctx);

#endif
