/* mesos_json.h: the JSON of the Mesos v1 scheduler API that Agora sends and
 * reads (../shared/mesos-v1-notes.md sections 1-4): calls are built as
 * jansson objects, events are parsed into small structs. Pure: no I/O.
 * Enums travel as names, IDs as {"value": ...}, doubles as reals, and a
 * status uuid is echoed verbatim (base64) in ACKNOWLEDGE. */
#ifndef AGL_MESOS_JSON_H
#define AGL_MESOS_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "agora/sm.h"
#include "cluster_spec.h"

struct agl_fwinfo {
    const char *user, *name, *role, *principal, *hostname;
    const char *id;                /* NULL or "": first subscription */
    double failover_timeout;
};

/* {"type":"SUBSCRIBE","framework_id"?,"subscribe":{"framework_info":{...}}}
 * with checkpoint true and the PARTITION_AWARE-less, TASK_KILLING_STATE
 * capability (see docs/launchers.md). */
json_t *agl_mj_subscribe(const struct agl_fwinfo *fw);
/* The envelope {"framework_id":{"value":fid},"type":TYPE}; lower-cased
 * payload added by the callers below. */
json_t *agl_mj_call(const char *fid, const char *type);

/* The TaskInfo of d for agent_id: Docker containerizer, command shell
 * false, parameters ip and hostname, USER network with one network_info,
 * volumes, cpus and mem, kill grace period. */
json_t *agl_mj_task_info(const struct agl_task_def *d, const char *agent_id);
/* ACCEPT of offer_ids (array, stolen) with one LAUNCH of task_infos (stolen). */
json_t *agl_mj_accept(const char *fid, json_t *offer_ids, json_t *task_infos, double refuse_s);
json_t *agl_mj_decline(const char *fid, json_t *offer_ids, double refuse_s);
json_t *agl_mj_ack(const char *fid, const char *agent_id, const char *task_id, const char *uuid);
json_t *agl_mj_kill(const char *fid, const char *task_id, const char *agent_id, double grace_s);
/* tasks: array of {"task_id":..,"agent_id"?:..} (stolen); NULL = implicit. */
json_t *agl_mj_reconcile(const char *fid, json_t *tasks);
json_t *agl_mj_reconcile_item(const char *task_id, const char *agent_id);
json_t *agl_mj_id(const char *value);

/* ---- events ---------------------------------------------------------------- */

enum agl_ev_type {
    AGL_EV_UNKNOWN = 0, AGL_EV_SUBSCRIBED, AGL_EV_OFFERS, AGL_EV_RESCIND, AGL_EV_UPDATE,
    AGL_EV_MESSAGE, AGL_EV_FAILURE, AGL_EV_ERROR, AGL_EV_HEARTBEAT,
};

struct agl_offer {
    const char *id, *agent_id, *hostname;
    double cpus, mem;
};

struct agl_status {
    const char *task_id, *agent_id, *uuid, *message, *reason, *source, *ip;
    enum agora_task_state state;   /* AGORA_TASK_NONE if the name is unknown */
};

/* Pointers point into the parsed json (valid while ev->root lives). */
struct agl_event {
    json_t *root;
    enum agl_ev_type type;
    const char *framework_id;      /* SUBSCRIBED */
    double heartbeat_s;            /* SUBSCRIBED */
    const char *error;             /* ERROR */
    const char *rescind_id;        /* RESCIND */
    struct agl_offer *offers;      /* OFFERS */
    size_t n_offers;
    struct agl_status status;      /* UPDATE */
};

/* Parses one RecordIO record. Returns 0, or -1 with why (not JSON, no type,
 * a required field missing). Unknown types parse as AGL_EV_UNKNOWN. */
int agl_mj_parse_event(const char *rec, size_t len, struct agl_event *ev, char *why,
                       size_t whylen);
void agl_mj_event_free(struct agl_event *ev);

/* "//host:port/api/v1/scheduler", "http://host:port", "//host:port" ->
 * "host:port" in out; -1 if no host:port can be read. */
int agl_mj_location_hostport(const char *location, char *out, size_t outlen);

#endif
