/* sm_impl.h: private helpers shared by lib/sm.c, lib/sm_entry.c,
 * lib/sm_snapshot.c and lib/render.c. Not installed, not for callers: the
 * snapshot restore re-runs the same checks as apply through these. */
#ifndef AGORA_SM_IMPL_H
#define AGORA_SM_IMPL_H

#include "agora/sm.h"

/* Writes a formatted reason into why[whylen] (why may be NULL). */
void agora_smi_say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s, or "" when s is NULL. */
const char *agora_smi_str(const char *s);

/* Id syntax: 1..AGORA_SM_ID_MAX of [A-Za-z0-9._:@-], first alphanumeric. */
bool agora_smi_valid_id(const char *s);

/* Index of a configuration key by name, -1 if unknown. */
int agora_smi_config_index(const char *name);
char *agora_smi_dup_str(const char *s);

/* Binary searches by id; *pos is the index found or the insertion point. */
bool agora_smi_find_member(const struct agora_sm *sm, const char *id, size_t *pos);
bool agora_smi_find_task(const struct agora_sm *sm, const char *id, size_t *pos);

/* Grows an array to hold `need` elements; returns the (possibly moved)
 * array, or NULL on failure with the old array untouched. */
void *agora_smi_grow(void *arr, size_t *cap, size_t need, size_t size);

/* Validates a MEMBER_JOIN against the state and fills *m with fresh
 * canonical copies (alias = kept or lowest free, since/updated = 0). */
int agora_smi_member_prepare(const struct agora_sm *sm, const struct agora_cmd *cmd,
                             struct agora_member *m, char *why, size_t whylen);
/* Validates a TASK_DESIRED against the state and fills *t (desired fields;
 * observed fields empty). */
int agora_smi_task_prepare(const struct agora_sm *sm, const struct agora_cmd *cmd,
                           struct agora_task *t, char *why, size_t whylen);
/* Validates a CONFIG against the state; *idx receives the key's index. */
int agora_smi_config_check(const struct agora_sm *sm, const char *key, const char *value,
                           int *idx, char *why, size_t whylen);

void agora_smi_member_clear(struct agora_member *m);
void agora_smi_task_clear(struct agora_task *t);

#endif
