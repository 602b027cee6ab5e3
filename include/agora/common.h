/* common.h: error codes, allocation hooks and byte buffers shared by every
 * module of the pure core. Nothing here performs I/O or reads a clock. */
#ifndef AGORA_COMMON_H
#define AGORA_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every fallible core function returns AGORA_OK or one of these (negative). */
enum agora_rc {
    AGORA_OK = 0,
    AGORA_ENOMEM = -1,    /* allocation failed */
    AGORA_EINVAL = -2,    /* malformed or out-of-range input */
    AGORA_ECORRUPT = -3,  /* checksum mismatch or impossible field */
    AGORA_ETRUNC = -4,    /* input ends in the middle of a record */
    AGORA_ENOTLEADER = -5,/* operation needs the lease and we do not hold it */
    AGORA_ETOOBIG = -6,   /* exceeds a configured size bound */
    AGORA_ENOENT = -7,    /* no such member, task or entry */
    AGORA_EEXIST = -8,    /* duplicate (key, address, id) */
    AGORA_ESTALE = -9,    /* request already applied (member, seq) */
};

/* Static description of an rc, never NULL. */
const char *agora_strerror(int rc);

/* The only allocator the core uses (lib/alloc.c). */
void *agora_malloc(size_t n);
void *agora_calloc(size_t n, size_t size);
void *agora_realloc(void *p, size_t n);
void agora_free(void *p);
char *agora_strndup(const char *s, size_t n);

/* Time: nanoseconds on the caller's monotonic clock. The core never reads
 * a clock; every function that needs the time takes it as an argument. */
typedef uint64_t agora_time_t;
#define AGORA_MS ((agora_time_t)1000000)
#define AGORA_SEC ((agora_time_t)1000000000)

/* A growable byte buffer. Little-endian fixed-width integers. */
struct agora_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void agora_buf_init(struct agora_buf *b);
void agora_buf_free(struct agora_buf *b);
void agora_buf_reset(struct agora_buf *b); /* len = 0, keeps memory */
int agora_buf_reserve(struct agora_buf *b, size_t extra);
int agora_buf_put(struct agora_buf *b, const void *p, size_t n);
int agora_buf_put_u8(struct agora_buf *b, uint8_t v);
int agora_buf_put_u16(struct agora_buf *b, uint16_t v);
int agora_buf_put_u32(struct agora_buf *b, uint32_t v);
int agora_buf_put_u64(struct agora_buf *b, uint64_t v);
/* u32 length then the bytes. */
int agora_buf_put_blob(struct agora_buf *b, const void *p, uint32_t n);
/* u16 length then the bytes (strings; n <= 65535). */
int agora_buf_put_str(struct agora_buf *b, const char *s, size_t n);
int agora_buf_printf(struct agora_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A bounds-checked reader. After the first short read `err` is set and
 * every later get returns zero/NULL, so callers check once at the end. */
struct agora_rd {
    const uint8_t *p;
    size_t len;
    size_t off;
    bool err;
};

void agora_rd_init(struct agora_rd *r, const void *p, size_t len);
uint8_t agora_rd_u8(struct agora_rd *r);
uint16_t agora_rd_u16(struct agora_rd *r);
uint32_t agora_rd_u32(struct agora_rd *r);
uint64_t agora_rd_u64(struct agora_rd *r);
/* Returns a pointer into the input (not a copy), or NULL on error. */
const uint8_t *agora_rd_bytes(struct agora_rd *r, size_t n);
const uint8_t *agora_rd_blob(struct agora_rd *r, uint32_t *n);
const char *agora_rd_str(struct agora_rd *r, uint16_t *n);
size_t agora_rd_left(const struct agora_rd *r);

#endif
