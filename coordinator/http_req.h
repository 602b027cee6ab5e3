/* http_req.h: what the Mesos client sends, and where (pure, no I/O): the
 * "host:port" of a master split for connect(), and the POST request
 * formatted in one buffer, head and body, as it goes on the wire. */
#ifndef AGL_HTTP_REQ_H
#define AGL_HTTP_REQ_H

#include <stddef.h>

#define AGL_HTTP_HOST_MAX 256 /* a host name or address, NUL included */

/* "host:port", "[v6]:port" (or "v6:port", split at the last colon) ->
 * host without brackets and port 1..65535. 0, or -1 with why. */
int agl_http_split_hostport(const char *hostport, char *host, size_t hostlen,
                            unsigned *port, char *why, size_t whylen);

/* "POST path HTTP/1.1" to hostport with Host, Content-Type and Accept
 * application/json, Content-Length, and Mesos-Stream-Id unless stream_id
 * is NULL or "", then the body. Returns the request (free() it) and its
 * length in *len; NULL when memory runs out or hostport, path or
 * stream_id hold a byte that does not belong in a header (space, control,
 * non-ASCII), which would let a peer's value inject header lines. */
char *agl_http_post(const char *hostport, const char *path, const char *stream_id,
                    const char *body, size_t body_len, size_t *len);

#endif
