/* spec.c: agorad's holder of the cluster spec file (spec.h). Loads the JSON,
 * requires an object, runs the launcher's stricter check if one is
 * installed, and keeps the old spec when a reload fails.
 *
 * (Re-created by the launcher work after an accidental overwrite: it
 * implements spec.h as declared; the launcher's own parser is
 * cluster_spec.h, whose agl_spec_check_json() fits agd_spec_check_fn.) */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

void agd_spec_init(struct agd_spec *s, const char *path, agd_spec_check_fn *check)
{
    memset(s, 0, sizeof *s);
    s->path = path != NULL ? strdup(path) : NULL;
    s->check = check;
}

int agd_spec_load(struct agd_spec *s, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root;

    if (s->path == NULL)
        return 0;
    root = json_load_file(s->path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "%s: line %d: %s", s->path, jerr.line, jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: field '$': must be a JSON object", s->path);
        json_decref(root);
        return -1;
    }
    if (s->check != NULL && s->check(s->path, root, err, errlen) != 0) {
        json_decref(root);
        return -1;
    }
    json_decref(s->root);
    s->root = root;
    s->generation++;
    return 0;
}

void agd_spec_free(struct agd_spec *s)
{
    json_decref(s->root);
    free(s->path);
    memset(s, 0, sizeof *s);
}
