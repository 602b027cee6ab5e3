/* ctl_write.c: `agoractl join` and `leave` (and the path `agoractl
 * cluster` shares, ctl_submit_wait): a request queued on the bricks
 * (control SUBMIT), committed once by the leader (member.h), then waited
 * for. The request is checked first against the learned state with the
 * state machine's own rule (agora_sm_check), so a refusal names its
 * reason here rather than only in the leader's log. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf_int.h"
#include "ctl_bricks.h"
#include "ctl_cluster.h"

#define WAIT_MS 15000

static uint64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* SUBMIT to every brick; a quorum must have queued it (or have it). */
static int submit(struct ctl_conn *c, const struct agora_cmd *cmd)
{
    char why[256];
    struct agora_buf e;
    struct agora_ctl q;
    agora_buf_init(&e);
    agora_ctl_init(&q);
    q.type = AGORA_CTL_SUBMIT;
    if (agora_cmd_encode(cmd, &e, why, sizeof(why)) != AGORA_OK ||
        agora_ctl_set_data(&q, e.data, (uint32_t)e.len) != AGORA_OK) {
        fprintf(stderr, "agoractl: %s\n", why);
        agora_buf_free(&e);
        return CTL_FAIL;
    }
    agora_buf_free(&e);
    ctl_call_ctl(c, &q, CTL_TIMEOUT_MS);
    agora_ctl_clear(&q);
    uint32_t queued = 0;
    for (uint32_t i = 0; i < c->tr->n; i++) {
        struct agora_ctl a;
        if (c->r[i].status != AGD_TR_OK || agora_ctl_decode(c->r[i].data, c->r[i].len, &a))
            continue;
        if (a.status == AGORA_CTL_INVALID) {
            fprintf(stderr, "agoractl: refused by brick %u: %s\n", i, a.text ? a.text : "");
            agora_ctl_clear(&a);
            return CTL_FAIL;
        }
        queued += a.status <= AGORA_CTL_APPLIED;
        agora_ctl_clear(&a);
    }
    if (queued < c->tr->n / 2 + 1) {
        fprintf(stderr, "agoractl: only %u of %u bricks took the request\n", queued, c->tr->n);
        return CTL_NO_LEADER;
    }
    return CTL_OK;
}

int ctl_submit_wait(struct ctl_conn *c, struct agora_cmd *cmd, struct agora_sm *after,
                    uint64_t *commit)
{
    char why[512];
    static char origin[AGORA_SM_ID_MAX + 1];
    snprintf(origin, sizeof(origin), "ctl:%s", c->cfg.name);
    cmd->origin = origin;
    cmd->seq = realtime_us();
    agora_sm_init(after);
    int rc = ctl_learn(c, after, commit);
    if (rc == CTL_OK && agora_sm_check(after, cmd, why, sizeof(why)) != AGORA_OK) {
        fprintf(stderr, "agoractl: refused: %s\n", why);
        rc = CTL_FAIL;
    }
    agora_sm_free(after);
    if (rc == CTL_OK)
        rc = submit(c, cmd);
    for (int waited = 0; rc == CTL_OK; waited += 200) {
        if (waited >= WAIT_MS) {
            fprintf(stderr, "agoractl: not committed within %d s: is there a leader?\n",
                    WAIT_MS / 1000);
            return CTL_NO_LEADER;
        }
        usleep(200 * 1000);
        agora_sm_init(after);
        if (ctl_learn(c, after, commit) == CTL_OK && agora_sm_last_seq(after, origin) >= cmd->seq)
            return CTL_OK;
        agora_sm_free(after);
    }
    return rc;
}

/* Submits a join or leave and checks that it took effect. */
static int run(struct ctl_conn *c, struct agora_cmd *cmd, const char *member, bool want_member)
{
    struct agora_sm sm;
    uint64_t commit;
    int rc = ctl_submit_wait(c, cmd, &sm, &commit);
    if (rc != CTL_OK)
        return rc;
    bool is = agora_sm_member_find(&sm, member) != NULL;
    agora_sm_free(&sm);
    if (is != want_member) {
        fprintf(stderr, "agoractl: the request was decided but rejected\n");
        return CTL_FAIL;
    }
    printf("%s: %s (slot %" PRIu64 ")\n", member, want_member ? "joined" : "left", commit);
    return CTL_OK;
}

int ctl_join_bricks(struct ctl_conn *c, int argc, char **argv)
{
    char why[512], *key = NULL;
    size_t len;
    if (cfg_read_file(argv[3], 16384, &key, &len, why, sizeof(why)) != 0) {
        fprintf(stderr, "agoractl: %s\n", why);
        return CTL_FAIL;
    }
    while (len > 0 && (key[len - 1] == '\n' || key[len - 1] == '\r'))
        key[--len] = '\0';
    struct agora_cmd cmd;
    agora_cmd_init(&cmd);
    cmd.kind = AGORA_CMD_MEMBER_JOIN;
    cmd.u.join.id = argv[0];
    cmd.u.join.hostname = argv[1];
    cmd.u.join.ip = argv[2];
    cmd.u.join.sshkey = key;
    cmd.u.join.kind = AGORA_MEMBER_CONTAINER;
    (void)argc;
    int rc = run(c, &cmd, argv[0], true);
    free(key);
    return rc;
}

int ctl_leave_bricks(struct ctl_conn *c, int argc, char **argv)
{
    struct agora_cmd cmd;
    agora_cmd_init(&cmd);
    cmd.kind = AGORA_CMD_MEMBER_LEAVE;
    cmd.u.leave.id = argv[0];
    (void)argc;
    return run(c, &cmd, argv[0], false);
}
