/* ctl_cluster.c: `agoractl cluster up|down|status` (agoractl(8)).
 *
 * up/down commit the config key "cluster" through the bricks' SUBMIT queue
 * (ctl_submit_wait, as join/leave do): the request lives in the replicated
 * log, so whichever agorad leads now or later honours it (leader_launch.c:
 * down stops every task, Mesos TEARDOWN; up plans the spec again, a new
 * framework on Mesos). The command returns once the entry is committed; the
 * tasks stop or start after that (`cluster status` shows how far).
 * status prints the desired state (the key) against what the log observed
 * of every task. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agora/render.h"
#include "ctl_cluster.h"

static bool running(const struct agora_task *t)
{
    return t->state == AGORA_TASK_RUNNING;
}

static void print_status(const struct agora_sm *sm, uint64_t commit)
{
    size_t n = agora_sm_task_count(sm), want = 0, run = 0, wanted_running = 0;
    const char *fid = agora_sm_framework_id(sm);
    for (size_t i = 0; i < n; i++) {
        const struct agora_task *t = agora_sm_task_at(sm, i);
        want += t->goal == AGORA_GOAL_RUN;
        run += running(t);
        wanted_running += t->goal == AGORA_GOAL_RUN && running(t);
    }
    bool down = agora_sm_cluster_down(sm);
    printf("cluster:   %s (desired), %s (observed)\n", down ? "down" : "up",
           down ? (run == 0 ? "down" : "stopping")
                : (want > 0 && wanted_running == want ? "up" : "starting"));
    printf("framework: %s\n", fid[0] != '\0' ? fid : "-");
    printf("tasks:     %zu in the log, %zu to run, %zu running (commit %" PRIu64 ")\n", n, want,
           run, commit);
    for (size_t i = 0; i < n; i++) {
        const struct agora_task *t = agora_sm_task_at(sm, i);
        const char *st = agora_task_state_name(t->state);
        printf("  %-20s goal %-4s %-16s %-15s %s\n", t->id, agora_task_goal_name(t->goal),
               st != NULL ? st : "-", t->ip[0] != '\0' ? t->ip : "-", t->message);
    }
}

static int status(const struct ctl_opts *o, struct ctl_conn *c)
{
    struct agora_sm sm;
    uint64_t commit = 0;
    agora_sm_init(&sm);
    int rc = ctl_learn(c, &sm, &commit);
    if (rc == CTL_OK && o->json) {
        struct agora_buf b;
        agora_buf_init(&b);
        rc = agora_render_tasks_json(&sm, &b) == AGORA_OK ? CTL_OK : CTL_FAIL;
        if (rc == CTL_OK)
            fwrite(b.data, 1, b.len, stdout);
        agora_buf_free(&b);
    } else if (rc == CTL_OK) {
        print_status(&sm, commit);
    } else {
        fprintf(stderr, "agoractl: no brick answered\n");
    }
    agora_sm_free(&sm);
    return rc;
}

static int set(struct ctl_conn *c, const char *value)
{
    struct agora_cmd cmd;
    struct agora_sm sm;
    uint64_t commit;
    agora_cmd_init(&cmd);
    cmd.kind = AGORA_CMD_CONFIG;
    cmd.u.config.key = "cluster";
    cmd.u.config.value = value;
    int rc = ctl_submit_wait(c, &cmd, &sm, &commit);
    if (rc != CTL_OK)
        return rc;
    bool done = strcmp(agora_sm_config(&sm, AGORA_CFG_CLUSTER), value) == 0;
    agora_sm_free(&sm);
    if (!done) {
        fprintf(stderr, "agoractl: the request was decided but rejected (see the leader's log)\n");
        return CTL_FAIL;
    }
    printf("cluster: %s (committed, slot %" PRIu64 "); the leader %s\n", value, commit,
           strcmp(value, "down") == 0 ? "stops every task (see `agoractl cluster status`)"
                                      : "starts the cluster spec's tasks");
    return CTL_OK;
}

int ctl_cluster(const struct ctl_opts *o, int argc, char **argv)
{
    bool up = argc == 1 && strcmp(argv[0], "up") == 0;
    bool down = argc == 1 && strcmp(argv[0], "down") == 0;
    bool st = argc == 1 && strcmp(argv[0], "status") == 0;
    if (!up && !down && !st) {
        fprintf(stderr, "agoractl cluster: usage: agoractl cluster up|down|status\n");
        return CTL_USAGE;
    }
    if (st && o->mount != NULL)
        return ctl_cat_file(o, "tasks.json");
    struct ctl_conn c;
    int rc = ctl_connect(o, &c);
    if (rc != CTL_OK)
        ctl_exit(rc);
    ctl_exit(st ? status(o, &c) : set(&c, up ? "up" : "down"));
}
