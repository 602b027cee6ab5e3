/* render.h: the read-only files of /.agora/ (DESIGN.md section 4), rendered
 * from the applied state. The bytes depend on the state alone, so every
 * brick serves identical files for the same applied index. Formats are in
 * docs/state-machine.md, "Rendering".
 *
 * Every renderer appends to out; on error it appends nothing. */
#ifndef AGORA_RENDER_H
#define AGORA_RENDER_H

#include "agora/common.h"
#include "agora/sm.h"

/* /etc/hosts syntax: a comment naming the applied index, then one line
 * "IP<TAB>names" per address of a live member or a RUNNING task, sorted by
 * address. A member's names are its host name, its alias PREFIX-N and, for
 * the leader, the leader alias; a task's host name joins its address's line. */
int agora_render_hosts(const struct agora_sm *sm, struct agora_buf *out);

/* A comment naming the applied index, then one line per live member in id
 * order: "[options ]type base64 agora-member:ID". */
int agora_render_authorized_keys(const struct agora_sm *sm, struct agora_buf *out);

/* "id ID\nballot ROUND.NODE\nsince SLOT\n"; id "-" when there is no leader. */
int agora_render_leader(const struct agora_sm *sm, struct agora_buf *out);

/* JSON views (pure ASCII: every other character is escaped). */
int agora_render_members_json(const struct agora_sm *sm, struct agora_buf *out);
int agora_render_tasks_json(const struct agora_sm *sm, struct agora_buf *out);

/* The files by name, in name order, for the translator's directory. */
size_t agora_render_file_count(void);
const char *agora_render_file_name(size_t i);   /* NULL if out of range */
/* Renders the file `name`; AGORA_ENOENT if there is no such file. */
int agora_render_file(const struct agora_sm *sm, const char *name, struct agora_buf *out);

/* Appends s[0..len) as a JSON string literal in pure ASCII: '"' and '\\'
 * escaped, control characters as \n, \t... or \u00XX, other non-ASCII
 * characters as \uXXXX (surrogate pairs above U+FFFF), and every byte that
 * is not part of valid UTF-8 as \ufffd. */
int agora_json_put_str(struct agora_buf *out, const char *s, size_t len);

#endif
