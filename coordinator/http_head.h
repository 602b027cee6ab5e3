/* http_head.h: inside the response parser (http_parse.c, http_head.c):
 * the status line and the header fields, read from p->line. Not for other
 * callers: they use http_parse.h. */
#ifndef AGL_HTTP_HEAD_H
#define AGL_HTTP_HEAD_H

#include "http_parse.h"

/* Sets p->why from fmt, makes the parser's error sticky, returns
 * AGL_HTTP_ERROR. */
int agl_http_fail(struct agl_http_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "HTTP/1.x NNN reason" -> p->resp.code, minor; 0 or AGL_HTTP_ERROR. */
int agl_http_status_line(struct agl_http_parser *p);

/* "Name: value": checked; with `use`, the fields the client reads are
 * stored in p (trailers are only checked). 0 or AGL_HTTP_ERROR. */
int agl_http_header_line(struct agl_http_parser *p, bool use);

#endif
