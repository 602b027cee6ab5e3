/* recordio.h: the RecordIO framing of the Mesos v1 event stream
 * (mesos docs/recordio.md): records of "DECIMAL-LENGTH\n" then exactly that
 * many bytes, back to back, with no relation to HTTP chunk boundaries.
 * Pure: no I/O, no clocks; fed any fragment sizes (tests/mesos has a fuzz
 * target). */
#ifndef AGL_RECORDIO_H
#define AGL_RECORDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGL_RECORDIO_DEFAULT_MAX (16u << 20) /* a sane cap on one record */

struct agl_recordio {
    char *buf;                     /* unconsumed bytes */
    size_t len, cap;
    size_t max;                    /* largest record accepted */
    uint64_t want;                 /* body length being read, 0: header */
    bool failed;                   /* sticky: the stream is corrupt */
    char why[96];
};

/* Receives one record (not NUL-terminated). A non-zero return stops feeding
 * and is returned by agl_recordio_feed. */
typedef int agl_record_fn(void *ctx, const char *rec, size_t len);

void agl_recordio_init(struct agl_recordio *r, size_t max_record);
void agl_recordio_reset(struct agl_recordio *r);
void agl_recordio_free(struct agl_recordio *r);

/* Appends p[0..n) and hands every complete record to fn. Returns 0, fn's
 * non-zero value, or -1 once the stream is malformed (a non-digit in a
 * header, length 0, a length above max, a header of more than 20 digits) or
 * memory runs out; r->why says which. Empty header lines are skipped. */
int agl_recordio_feed(struct agl_recordio *r, const char *p, size_t n, agl_record_fn *fn,
                      void *ctx);

/* Bytes buffered but not yet delivered (a partial record). */
size_t agl_recordio_pending(const struct agl_recordio *r);

#endif
