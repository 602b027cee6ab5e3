/* mesos_json.c: building calls and parsing events (mesos_json.h). Field
 * names and shapes follow include/mesos/v1/scheduler/scheduler.proto and
 * mesos.proto as stout maps them to JSON (mesos-v1-notes.md 1.3). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesos_json.h"

json_t *agl_mj_id(const char *value)
{
    return json_pack("{s:s}", "value", value);
}

json_t *agl_mj_subscribe(const struct agl_fwinfo *fw)
{
    json_t *info = json_pack("{s:s, s:s, s:f, s:b, s:[{s:s}]}", "user", fw->user, "name",
                             fw->name, "failover_timeout", fw->failover_timeout, "checkpoint", 1,
                             "capabilities", "type", "TASK_KILLING_STATE");
    json_t *call = json_pack("{s:s, s:{s:o}}", "type", "SUBSCRIBE", "subscribe",
                             "framework_info", info);

    if (call == NULL)
        return NULL;
    if (fw->role != NULL && strcmp(fw->role, "*") != 0)
        json_object_set_new(info, "role", json_string(fw->role));
    if (fw->principal != NULL)
        json_object_set_new(info, "principal", json_string(fw->principal));
    if (fw->hostname != NULL)
        json_object_set_new(info, "hostname", json_string(fw->hostname));
    if (fw->id != NULL && fw->id[0] != '\0') {
        json_object_set_new(info, "id", agl_mj_id(fw->id));
        json_object_set_new(call, "framework_id", agl_mj_id(fw->id));
    }
    return call;
}

json_t *agl_mj_call(const char *fid, const char *type)
{
    return json_pack("{s:{s:s}, s:s}", "framework_id", "value", fid, "type", type);
}

static json_t *scalar(const char *name, double v)
{
    return json_pack("{s:s, s:s, s:{s:f}}", "name", name, "type", "SCALAR", "scalar", "value", v);
}

static json_t *command(const struct agl_task_def *d)
{
    json_t *cmd = json_pack("{s:b}", "shell", 0), *args = json_array(), *vars = json_array();

    if (d->cmd != NULL) {
        json_array_append_new(args, json_string("/bin/sh"));
        json_array_append_new(args, json_string("-c"));
        json_array_append_new(args, json_string(d->cmd));
    }
    for (size_t i = 0; d->args != NULL && d->args[i] != NULL; i++)
        json_array_append_new(args, json_string(d->args[i]));
    for (size_t i = 0; d->env != NULL && d->env[i] != NULL; i++) {
        const char *eq = strchr(d->env[i], '=');
        json_array_append_new(vars, json_pack("{s:s%, s:s}", "name", d->env[i],
                                              (size_t)(eq - d->env[i]), "value", eq + 1));
    }
    if (json_array_size(args) > 0)
        json_object_set(cmd, "arguments", args);
    json_object_set_new(cmd, "environment", json_pack("{s:o}", "variables", vars));
    json_decref(args);
    return cmd;
}

static json_t *container(const struct agl_task_def *d)
{
    json_t *params = json_array(), *vols = json_array();
    json_t *docker = json_pack("{s:s, s:s, s:b, s:b}", "image", d->image, "network",
                               d->network[0] != '\0' ? "USER" : "HOST", "privileged", 0,
                               "force_pull_image", 0);
    json_t *c = json_pack("{s:s}", "type", "DOCKER");

    if (d->ip[0] != '\0')
        json_array_append_new(params, json_pack("{s:s, s:s}", "key", "ip", "value", d->ip));
    json_array_append_new(params, json_pack("{s:s, s:s}", "key", "hostname", "value",
                                            d->hostname));
    for (size_t i = 0; i < d->n_params; i++)
        json_array_append_new(params, json_pack("{s:s, s:s}", "key", d->params[i].key, "value",
                                                d->params[i].value));
    json_object_set_new(docker, "parameters", params);
    for (size_t i = 0; i < d->n_volumes; i++)
        json_array_append_new(vols, json_pack("{s:s, s:s, s:s}", "container_path",
                                              d->volumes[i].container_path, "host_path",
                                              d->volumes[i].host_path, "mode",
                                              d->volumes[i].read_only ? "RO" : "RW"));
    json_object_set_new(c, "docker", docker);
    json_object_set_new(c, "volumes", vols);
    if (d->network[0] != '\0')
        json_object_set_new(c, "network_infos", json_pack("[{s:s}]", "name", d->network));
    return c;
}

json_t *agl_mj_task_info(const struct agl_task_def *d, const char *agent_id)
{
    json_t *t = json_pack("{s:s, s:o, s:o, s:[o,o], s:o, s:o}", "name", d->id, "task_id",
                          agl_mj_id(d->id), "agent_id", agl_mj_id(agent_id), "resources",
                          scalar("cpus", d->cpus), scalar("mem", d->mem), "command", command(d),
                          "container", container(d));

    if (t != NULL)
        json_object_set_new(t, "kill_policy",
                            json_pack("{s:{s:I}}", "grace_period", "nanoseconds",
                                      (json_int_t)(d->grace_s * 1e9)));
    return t;
}

json_t *agl_mj_accept(const char *fid, json_t *offer_ids, json_t *task_infos, double refuse_s)
{
    json_t *c = agl_mj_call(fid, "ACCEPT");
    json_object_set_new(c, "accept", json_pack("{s:o, s:[{s:s, s:{s:o}}], s:{s:f}}", "offer_ids",
                                               offer_ids, "operations", "type", "LAUNCH",
                                               "launch", "task_infos", task_infos, "filters",
                                               "refuse_seconds", refuse_s));
    return c;
}

json_t *agl_mj_decline(const char *fid, json_t *offer_ids, double refuse_s)
{
    json_t *c = agl_mj_call(fid, "DECLINE");
    json_object_set_new(c, "decline", json_pack("{s:o, s:{s:f}}", "offer_ids", offer_ids,
                                                "filters", "refuse_seconds", refuse_s));
    return c;
}

json_t *agl_mj_ack(const char *fid, const char *agent_id, const char *task_id, const char *uuid)
{
    json_t *c = agl_mj_call(fid, "ACKNOWLEDGE");
    json_object_set_new(c, "acknowledge", json_pack("{s:o, s:o, s:s}", "agent_id",
                                                    agl_mj_id(agent_id), "task_id",
                                                    agl_mj_id(task_id), "uuid", uuid));
    return c;
}

json_t *agl_mj_kill(const char *fid, const char *task_id, const char *agent_id, double grace_s)
{
    json_t *c = agl_mj_call(fid, "KILL");
    json_t *k = json_pack("{s:o, s:{s:{s:I}}}", "task_id", agl_mj_id(task_id), "kill_policy",
                          "grace_period", "nanoseconds", (json_int_t)(grace_s * 1e9));
    if (agent_id != NULL && agent_id[0] != '\0')
        json_object_set_new(k, "agent_id", agl_mj_id(agent_id));
    json_object_set_new(c, "kill", k);
    return c;
}

json_t *agl_mj_reconcile_item(const char *task_id, const char *agent_id)
{
    json_t *t = json_pack("{s:o}", "task_id", agl_mj_id(task_id));
    if (agent_id != NULL && agent_id[0] != '\0' && strncmp(agent_id, "local:", 6) != 0)
        json_object_set_new(t, "agent_id", agl_mj_id(agent_id));
    return t;
}

json_t *agl_mj_reconcile(const char *fid, json_t *tasks)
{
    json_t *c = agl_mj_call(fid, "RECONCILE");
    json_object_set_new(c, "reconcile", json_pack("{s:o}", "tasks",
                                                  tasks != NULL ? tasks : json_array()));
    return c;
}
