/* inbox_io.h: the inbox's file system thread (inbox.h). The loop asks for a
 * scan or a write; the thread does it and signals an eventfd when a scan is
 * ready. Nothing here knows about requests or verdicts' meaning. */
#ifndef AGD_INBOX_IO_H
#define AGD_INBOX_IO_H

#include <stdbool.h>
#include <stddef.h>

#define AGD_INBOX_VERDICT_MAX 1024u

struct agd_inbox_file {
    char *name;                 /* request file name */
    char *text;                 /* its bytes (NUL-terminated), NULL if unreadable */
    size_t len;                 /* > AGD_INBOX_REQ_MAX: too big (text NULL) */
    bool regular;
    char *verdict;              /* NAME.verdict's content, NULL if none */
};

struct agd_inbox_scan {
    bool ok;                    /* false: the folder could not be read */
    char err[256];
    struct agd_inbox_file *f;   /* requests, sorted by name */
    size_t n;
    char **orphans;             /* NAME of NAME.verdict files without a request */
    size_t n_orphans;
};

struct agd_inbox_io;

/* Starts the thread; efd becomes readable when a scan is done. */
struct agd_inbox_io *agd_inbox_io_new(const char *dir, int *efd);
void agd_inbox_io_free(struct agd_inbox_io *io);

/* Asks for a scan (ignored while one is running). */
void agd_inbox_io_scan(struct agd_inbox_io *io);
/* The finished scan, or NULL; caller frees it with agd_inbox_scan_free. */
struct agd_inbox_scan *agd_inbox_io_take(struct agd_inbox_io *io);
void agd_inbox_scan_free(struct agd_inbox_scan *s);

/* Orders files by name (for bsearch over a scan). */
int agd_inbox_file_cmp(const void *a, const void *b);

/* Queues writing NAME.verdict (text NULL: removing it). */
void agd_inbox_io_verdict(struct agd_inbox_io *io, const char *name, const char *text);

#endif
