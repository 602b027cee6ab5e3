/* conf_int.h: helpers shared by conf.c (reading, typed getters) and
 * conf_check.c / conf_volume.c / conf_cmd.c / conf_mesos.c (the fields). Not installed. */
#ifndef AGD_CONF_INT_H
#define AGD_CONF_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"

struct cfg_ctx {
    const char *file;
    char dir[PATH_MAX];           /* the file's folder, for relative paths */
    char *err;
    size_t errlen;
};

/* Writes "FILE: field 'FIELD': MESSAGE" into the error buffer; returns -1. */
int cfg_fail(struct cfg_ctx *x, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *cfg_show(const json_t *v, char *buf, size_t len);
void cfg_join(char *out, size_t len, const char *prefix, const char *key);

/* known is NULL-terminated. */
int cfg_unknown(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *const *known);
int cfg_uint(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *key,
             uint32_t lo, uint32_t hi, uint32_t def, bool required, uint32_t *out);
int cfg_str(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *key, size_t max,
            bool required, char **out);
int cfg_path(struct cfg_ctx *x, json_t *obj, const char *prefix, const char *key,
             bool required, char **out);
int cfg_read_file(const char *path, size_t max, char **out, size_t *len, char *why, size_t wl);

/* conf_check.c: the whole file. */
int cfg_root(struct cfg_ctx *x, json_t *root, struct agd_config *c);
/* conf_volume.c: "volume" / "bricks". */
int cfg_volume(struct cfg_ctx *x, json_t *root, struct agd_config *c);
/* conf_cmd.c: "leader_command" (after the timing fields). */
int cfg_leader_command(struct cfg_ctx *x, json_t *root, struct agd_config *c);
/* conf_mesos.c: "mesos" (after "launcher" and the timing fields). */
int cfg_mesos(struct cfg_ctx *x, json_t *root, struct agd_config *c);
void cfg_mesos_free(struct agd_mesos *ms);
/* A host name or an IP address; canonical copy in *out. */
int cfg_host(struct cfg_ctx *x, const char *field, const char *s, char **out);

#endif
