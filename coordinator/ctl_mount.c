/* ctl_mount.c: agoractl's read-only subcommands, served from the /.agora/
 * files of a mount (--mount DIR). Once the brick transport is wired into
 * agoractl they read a quorum of bricks instead, and show the bricks. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf_int.h"
#include "ctl.h"

#define VIEW_MAX (16u << 20)

static int read_view(const struct ctl_opts *o, const char *name, char **text, size_t *len)
{
    char path[4096], why[512];
    if (o->mount == NULL) {
        fprintf(stderr, "agoractl: reading the bricks directly is not implemented yet: "
                        "give --mount DIR (a FUSE mount of the volume)\n");
        return CTL_UNAVAILABLE;
    }
    snprintf(path, sizeof(path), "%s/.agora/%s", o->mount, name);
    if (cfg_read_file(path, VIEW_MAX, text, len, why, sizeof(why)) != 0) {
        fprintf(stderr, "agoractl: %s\n", why);
        return CTL_FAIL;
    }
    return CTL_OK;
}

/* hosts, keys (authorized_keys): printed as they are; --json wraps the
 * lines in an array. */
int ctl_cat_file(const struct ctl_opts *o, const char *name)
{
    char *text;
    size_t len;
    int rc = read_view(o, name, &text, &len);
    if (rc != CTL_OK)
        return rc;
    if (!o->json) {
        fwrite(text, 1, len, stdout);
        free(text);
        return CTL_OK;
    }
    json_t *arr = json_array();
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] != '#')
            json_array_append_new(arr, json_string(line));
    }
    free(text);
    json_dumpf(arr, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(arr);
    return CTL_OK;
}

static json_t *load_json(const struct ctl_opts *o, const char *name, int *rc)
{
    char *text;
    size_t len;
    json_error_t je;
    *rc = read_view(o, name, &text, &len);
    if (*rc != CTL_OK)
        return NULL;
    json_t *v = json_loadb(text, len, 0, &je);
    free(text);
    if (v == NULL) {
        fprintf(stderr, "agoractl: %s/.agora/%s: not valid JSON: %s\n", o->mount, name, je.text);
        *rc = CTL_FAIL;
    }
    return v;
}

int ctl_members(const struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int rc;
    json_t *v = load_json(o, "members.json", &rc);
    if (v == NULL)
        return rc;
    json_t *arr = json_is_array(v) ? v : json_object_get(v, "members");
    if (o->json || !json_is_array(arr)) {
        json_dumpf(v, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        size_t i;
        json_t *m;
        printf("%-24s %-32s %s\n", "ID", "HOST", "IP");
        json_array_foreach(arr, i, m) {
            printf("%-24s %-32s %s\n", json_string_value(json_object_get(m, "id")),
                   json_string_value(json_object_get(m, "hostname")),
                   json_string_value(json_object_get(m, "ip")));
        }
    }
    json_decref(v);
    return CTL_OK;
}

/* The status contract (issue 4): leader, ballot, lease_ms_left,
 * commit_index, members, bricks. From a mount: what /.agora/leader and
 * members.json hold; the lease and the bricks need the bricks themselves. */
int ctl_status(const struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char *text;
    size_t len;
    int rc = read_view(o, "leader", &text, &len);
    if (rc != CTL_OK)
        return rc;
    char id[160] = "-", ballot[64] = "0.0";
    unsigned long long since = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        sscanf(line, "id %159s", id);
        sscanf(line, "ballot %63s", ballot);
        sscanf(line, "since %llu", &since);
    }
    free(text);
    json_t *members = load_json(o, "members.json", &rc);
    json_t *st = json_object();
    json_object_set_new(st, "leader", strcmp(id, "-") == 0 ? json_null() : json_string(id));
    json_object_set_new(st, "ballot", json_string(ballot));
    json_object_set_new(st, "lease_ms_left", json_null());
    json_object_set_new(st, "commit_index", json_null());
    json_object_set_new(st, "leader_since", json_integer((json_int_t)since));
    json_object_set_new(st, "members", members != NULL ? members : json_array());
    json_object_set_new(st, "bricks", json_array());
    if (o->json) {
        json_dumpf(st, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        printf("leader:  %s\nballot:  %s\nsince:   slot %llu\n(from %s: lease and bricks need "
               "the bricks themselves)\n", id, ballot, since, o->mount);
    }
    json_decref(st);
    return rc;
}
