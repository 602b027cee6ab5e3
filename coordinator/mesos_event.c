/* mesos_event.c: parsing the events of the scheduler stream
 * (mesos-v1-notes.md section 3): the payload sits under the lower-cased
 * type key; OFFERS is {"offers":{"offers":[...]}} as the proto has it;
 * unknown types and fields are ignored. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesos_json.h"

static const struct {
    const char *name;
    enum agl_ev_type type;
} TYPES[] = {
    {"SUBSCRIBED", AGL_EV_SUBSCRIBED}, {"OFFERS", AGL_EV_OFFERS}, {"RESCIND", AGL_EV_RESCIND},
    {"UPDATE", AGL_EV_UPDATE}, {"MESSAGE", AGL_EV_MESSAGE}, {"FAILURE", AGL_EV_FAILURE},
    {"ERROR", AGL_EV_ERROR}, {"HEARTBEAT", AGL_EV_HEARTBEAT},
};

static const char *id_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(json_object_get(o, key), "value"));
}

static double scalar_sum(json_t *res, const char *name)
{
    size_t i;
    json_t *r;
    double v = 0;

    json_array_foreach(res, i, r) {
        if (json_is_string(json_object_get(r, "name")) &&
            strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
            v += json_number_value(json_object_get(json_object_get(r, "scalar"), "value"));
    }
    return v;
}

static int parse_offers(json_t *p, struct agl_event *ev, char *why, size_t whylen)
{
    json_t *arr = json_object_get(json_object_get(p, "offers"), "offers"), *o;
    size_t i;

    ev->offers = calloc(json_array_size(arr) + 1, sizeof *ev->offers);
    if (ev->offers == NULL)
        return snprintf(why, whylen, "out of memory"), -1;
    json_array_foreach(arr, i, o) {
        struct agl_offer *x = &ev->offers[ev->n_offers];
        x->id = id_of(o, "id");
        x->agent_id = id_of(o, "agent_id");
        x->hostname = json_string_value(json_object_get(o, "hostname"));
        if (x->id == NULL || x->agent_id == NULL)
            return snprintf(why, whylen, "offer %zu without id or agent_id", i), -1;
        x->cpus = scalar_sum(json_object_get(o, "resources"), "cpus");
        x->mem = scalar_sum(json_object_get(o, "resources"), "mem");
        ev->n_offers++;
    }
    return 0;
}

static const char *first_ip(json_t *st)
{
    json_t *ni = json_array_get(json_object_get(json_object_get(st, "container_status"),
                                                "network_infos"), 0);
    json_t *ip = json_array_get(json_object_get(ni, "ip_addresses"), 0);
    return json_string_value(json_object_get(ip, "ip_address"));
}

static int parse_update(json_t *p, struct agl_event *ev, char *why, size_t whylen)
{
    json_t *st = json_object_get(json_object_get(p, "update"), "status");
    struct agl_status *s = &ev->status;
    const char *state = json_string_value(json_object_get(st, "state"));

    s->task_id = id_of(st, "task_id");
    if (s->task_id == NULL || state == NULL)
        return snprintf(why, whylen, "UPDATE without status.task_id or state"), -1;
    if (agora_task_state_parse(state, strlen(state), &s->state) != AGORA_OK)
        s->state = AGORA_TASK_NONE;
    s->agent_id = id_of(st, "agent_id");
    s->uuid = json_string_value(json_object_get(st, "uuid"));
    s->message = json_string_value(json_object_get(st, "message"));
    s->reason = json_string_value(json_object_get(st, "reason"));
    s->source = json_string_value(json_object_get(st, "source"));
    s->ip = first_ip(st);
    return 0;
}

static int parse_payload(struct agl_event *ev, char *why, size_t whylen)
{
    json_t *r = ev->root;

    switch (ev->type) {
    case AGL_EV_SUBSCRIBED:
        ev->framework_id = id_of(json_object_get(r, "subscribed"), "framework_id");
        ev->heartbeat_s = json_number_value(
            json_object_get(json_object_get(r, "subscribed"), "heartbeat_interval_seconds"));
        if (ev->framework_id == NULL)
            return snprintf(why, whylen, "SUBSCRIBED without framework_id"), -1;
        return 0;
    case AGL_EV_OFFERS:
        return parse_offers(r, ev, why, whylen);
    case AGL_EV_RESCIND:
        ev->rescind_id = id_of(json_object_get(r, "rescind"), "offer_id");
        return 0;
    case AGL_EV_UPDATE:
        return parse_update(r, ev, why, whylen);
    case AGL_EV_ERROR:
        ev->error = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
        if (ev->error == NULL) /* the docs' older top-level form */
            ev->error = json_string_value(json_object_get(r, "message"));
        if (ev->error == NULL)
            ev->error = "(no message)";
        return 0;
    default:
        return 0;
    }
}

int agl_mj_parse_event(const char *rec, size_t len, struct agl_event *ev, char *why,
                       size_t whylen)
{
    json_error_t jerr;
    const char *type;

    memset(ev, 0, sizeof *ev);
    ev->root = json_loadb(rec, len, 0, &jerr);
    if (ev->root == NULL || !json_is_object(ev->root)) {
        snprintf(why, whylen, "event is not a JSON object: %s", ev->root ? "" : jerr.text);
        agl_mj_event_free(ev);
        return -1;
    }
    type = json_string_value(json_object_get(ev->root, "type"));
    if (type == NULL) {
        snprintf(why, whylen, "event without a type");
        agl_mj_event_free(ev);
        return -1;
    }
    for (size_t i = 0; i < sizeof TYPES / sizeof *TYPES; i++) {
        if (strcmp(TYPES[i].name, type) == 0)
            ev->type = TYPES[i].type;
    }
    if (parse_payload(ev, why, whylen) != 0) {
        agl_mj_event_free(ev);
        return -1;
    }
    return 0;
}

void agl_mj_event_free(struct agl_event *ev)
{
    json_decref(ev->root);
    free(ev->offers);
    memset(ev, 0, sizeof *ev);
}

int agl_mj_location_hostport(const char *loc, char *out, size_t outlen)
{
    const char *p = strstr(loc, "//");
    size_t n;

    p = p != NULL ? p + 2 : loc;
    n = strcspn(p, "/ \r\n");
    if (n == 0 || n >= outlen || memchr(p, ':', n) == NULL)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}
