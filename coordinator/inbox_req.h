/* inbox_req.h: one registration request from the inbox (inbox.h), pure.
 *
 * A container that has only a FUSE mount of the volume registers by writing
 * one file, INBOX/NAME, where NAME is its member id (letters, digits and
 * "._:@-", first alphanumeric, at most 122 bytes). The file holds
 * `field: value` lines, at most AGD_INBOX_REQ_MAX bytes in all:
 *
 *   host: web-1                  host name (required)
 *   ip: 10.1.2.3                 IPv4 or IPv6 address (required)
 *   key: ssh-ed25519 AAAA... c   one OpenSSH public key, no options (required)
 *   seq: 1                       optional, default 1: raise it to change the
 *                                registration; the same seq is applied once
 *
 * Lines starting with '#' and empty lines are ignored; anything else (an
 * unknown or repeated field, a line without ": ", a carriage return or
 * another control character) makes the whole request invalid. */
#ifndef AGD_INBOX_REQ_H
#define AGD_INBOX_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "agora/sm.h"
#include "agora/validate.h"

#define AGD_INBOX_REQ_MAX 4096u
#define AGD_INBOX_NAME_MAX (AGORA_SM_ID_MAX - 6) /* "inbox:" + NAME is the origin */

struct agd_inbox_req {
    char host[AGORA_HOSTNAME_MAX + 1];
    char ip[64];                  /* canonical */
    char key[AGD_INBOX_REQ_MAX];  /* the key line as given */
    uint64_t seq;
};

/* Checks the file name: 0, or -1 with the reason in why. */
int agd_inbox_name_ok(const char *name, char *why, size_t whylen);

/* Parses and validates one request (host name, address and key with the
 * core validators). Returns 0, or -1 with a one-line reason in why that
 * names the line and field. */
int agd_inbox_parse(const char *text, size_t len, struct agd_inbox_req *r, char *why,
                    size_t whylen);

#endif
