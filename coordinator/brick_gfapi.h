/* brick_gfapi.h: the libgfapi brick client behind brick_client.h
 * (AGORA_BRICK_CLIENT=gfapi). One gfapi instance per brick from the
 * one-client volfile; glfs_init bounded by a timeout in a thread of its
 * own; glfs_ipc per call; glfs_fini (~11 s) on close. The semantics of
 * open/keep/close are those documented in brick_client.h. */
#ifndef AGORA_BRICK_GFAPI_H
#define AGORA_BRICK_GFAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct brick_gfapi;

/* keep: return the instance (with the error) when glfs_init failed
 * because the brick could not be reached. */
int brick_gfapi_open(const char *volfile_path, const char *logfile, int timeout_ms, bool keep,
                     struct brick_gfapi **out);
int brick_gfapi_call(struct brick_gfapi *b, uint32_t op, const uint8_t *req, size_t len,
                     uint8_t **reply, size_t *reply_len);
void brick_gfapi_close(struct brick_gfapi *b, int wait);

#endif
