/* ctl_log.c: `agoractl log [--from N]`: the committed entries, one a line
 * (or a JSON array), decoded. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_bricks.h"

static void put(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, json_string(v != NULL ? v : ""));
}

static void entry_fields(json_t *o, const struct agora_cmd *c)
{
    char b[48];
    switch (c->kind) {
    case AGORA_CMD_MEMBER_JOIN:
        put(o, "id", c->u.join.id);
        put(o, "host", c->u.join.hostname);
        put(o, "ip", c->u.join.ip);
        put(o, "member_kind", agora_member_kind_name(c->u.join.kind));
        break;
    case AGORA_CMD_MEMBER_LEAVE:
    case AGORA_CMD_MEMBER_EXPIRE: put(o, "id", c->u.leave.id); break;
    case AGORA_CMD_LEADER:
        snprintf(b, sizeof(b), "%" PRIu64 ".%" PRIu32, c->u.leader.ballot.round,
                 c->u.leader.ballot.node);
        put(o, "id", c->u.leader.id);
        put(o, "ballot", b);
        break;
    case AGORA_CMD_FRAMEWORK_ID: put(o, "framework_id", c->u.framework.id); break;
    case AGORA_CMD_TASK_DESIRED:
        put(o, "id", c->u.task.id);
        put(o, "goal", agora_task_goal_name(c->u.task.goal));
        break;
    case AGORA_CMD_TASK_OBSERVED:
        put(o, "id", c->u.observed.id);
        put(o, "state", agora_task_state_name(c->u.observed.state));
        break;
    case AGORA_CMD_TASK_REMOVE: put(o, "id", c->u.remove.id); break;
    case AGORA_CMD_CONFIG:
        put(o, "key", c->u.config.key);
        put(o, "value", c->u.config.value);
        break;
    case AGORA_CMD_NOOP: break;
    }
}

static json_t *entry_json(const struct agora_entry *e)
{
    struct agora_cmd c;
    char why[256];
    json_t *o = json_object();
    json_object_set_new(o, "slot", json_integer((json_int_t)e->slot));
    if (e->len == 0) {
        put(o, "kind", "noop");
        return o;
    }
    if (agora_cmd_decode(&c, e->data, e->len, why, sizeof(why)) != AGORA_OK) {
        put(o, "kind", "undecodable");
        put(o, "error", why);
        return o;
    }
    put(o, "kind", agora_cmd_kind_name(c.kind));
    if (c.origin != NULL && c.origin[0] != '\0') {
        put(o, "origin", c.origin);
        json_object_set_new(o, "seq", json_integer((json_int_t)c.seq));
    }
    entry_fields(o, &c);
    agora_cmd_clear(&c);
    return o;
}

static void print_line(json_t *o)
{
    const char *k;
    json_t *v;
    printf("%6" JSON_INTEGER_FORMAT "  %-15s", json_integer_value(json_object_get(o, "slot")),
           json_string_value(json_object_get(o, "kind")));
    json_object_foreach(o, k, v) {
        if (strcmp(k, "slot") == 0 || strcmp(k, "kind") == 0)
            continue;
        if (json_is_integer(v))
            printf(" %s=%" JSON_INTEGER_FORMAT, k, json_integer_value(v));
        else
            printf(" %s=%s", k, json_string_value(v));
    }
    putchar('\n');
}

int ctl_log_bricks(const struct ctl_opts *o, struct ctl_conn *c)
{
    struct agora_log log;
    uint64_t commit = 0, snap = 0, from = o->from > 0 ? o->from : 1;
    agora_log_init(&log);
    int rc = ctl_learn_log(c, from, &log, &commit, &snap);
    if (rc != CTL_OK) {
        fprintf(stderr, "agoractl: no brick answered\n");
        agora_log_free(&log);
        return rc;
    }
    if (snap >= from && !o->json)
        printf("# slots up to %" PRIu64 " are compacted into a snapshot\n", snap);
    json_t *arr = json_array();
    for (uint64_t s = from; s <= agora_log_last(&log); s++) {
        const struct agora_entry *e = agora_log_get(&log, s);
        if (e == NULL)
            continue;
        json_t *j = entry_json(e);
        if (o->json)
            json_array_append_new(arr, j);
        else {
            print_line(j);
            json_decref(j);
        }
    }
    agora_log_free(&log);
    if (o->json) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
    }
    json_decref(arr);
    return CTL_OK;
}
