/* spec.h: the cluster spec (DESIGN.md section 5): the containers the leader
 * launches, one JSON file named by agorad.json's "cluster_spec". agorad
 * reads it at start (a bad spec stops start-up) and again on SIGHUP (a bad
 * spec is logged and the old one kept). What the spec holds is the
 * launcher's business; here it must be a JSON object, and a launcher may
 * install a stricter check. */
#ifndef AGD_SPEC_H
#define AGD_SPEC_H

#include <jansson.h>

#define AGD_SPEC_MAX (4u << 20)

/* Returns 0, or -1 with "FILE: field 'F': reason" in err. */
typedef int agd_spec_check_fn(const char *file, json_t *spec, char *err, size_t errlen);

struct agd_spec {
    char *path;             /* NULL: no spec configured */
    json_t *root;           /* current spec; NULL if none */
    agd_spec_check_fn *check;
    unsigned generation;    /* bumps at every successful (re)load */
};

void agd_spec_init(struct agd_spec *s, const char *path, agd_spec_check_fn *check);
/* (Re)loads from s->path. On error returns -1 with the reason in err and
 * keeps the old spec. Without a path: 0, nothing loaded. */
int agd_spec_load(struct agd_spec *s, char *err, size_t errlen);
void agd_spec_free(struct agd_spec *s);

#endif
