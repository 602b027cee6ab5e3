/* wal_file.h: the file steps of an acceptor's write-ahead log (frames of
 * lib/frame.c holding records of lib/acceptor.c, docs/wire-format.md
 * section 5), shared by the brick's main log (worker_wal.c) and the named
 * leases' logs (group_table.c): recovery at open, the batch's append, the
 * compacted image's replacement of the file.
 *
 * Plain C and POSIX, no GlusterFS (group_table.c is tested on its own). */
#ifndef AGORA_WAL_FILE_H
#define AGORA_WAL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "agora/acceptor.h"

/* Replays fd (the whole file) into acc: *len bytes read, *valid of them
 * kept. A torn or corrupt tail is cut (ftruncate, fsync) and the offset
 * left at the end. Returns 0; -EBADMSG: a record with a valid checksum
 * that does not decode (agora_acceptor_recover's error in *why; the file
 * is left as it is); -errno: reading, cutting or seeking failed. */
int agora_wal_file_recover(int fd, struct agora_acceptor *acc, size_t *len, size_t *valid,
                           int *why);

/* Appends n bytes and fdatasyncs: 0 or -errno. */
int agora_wal_file_append(int fd, const uint8_t *p, size_t n);

/* Replaces the file at path by image: written to PATH.new, fsynced, renamed
 * over path, then the folder dir fsynced. Returns the new file's fd (the
 * caller closes the old one), or -1 with errno set and PATH.new removed
 * (the old file is untouched). */
int agora_wal_file_replace(const char *dir, const char *path, const uint8_t *image, size_t len);

/* fsync of a folder (a new or renamed file's name is durable): 0 or -errno. */
int agora_wal_file_sync_dir(const char *dir);

#endif
