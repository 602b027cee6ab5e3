/* frame.h: the durable record frame. Layout, little-endian:
 *
 *   offset 0  u32  payload length N (1 .. AGORA_FRAME_MAX)
 *   offset 4  u32  CRC-32C of the payload
 *   offset 8  N bytes of payload
 *
 * A file is a sequence of frames. Decoding stops at the first frame that is
 * short, has an impossible length or a wrong checksum; everything before it
 * is valid, nothing after it is trusted. */
#ifndef AGORA_FRAME_H
#define AGORA_FRAME_H

#include "agora/common.h"

#define AGORA_FRAME_HDR 8u
#define AGORA_FRAME_MAX (64u * 1024u * 1024u)

/* Appends one frame holding payload[0..len). */
int agora_frame_put(struct agora_buf *out, const void *payload, size_t len);

enum agora_frame_status {
    AGORA_FRAME_OK = 0,    /* payload and plen set, off advanced */
    AGORA_FRAME_END = 1,   /* *off == len: clean end of input */
    AGORA_FRAME_TORN = 2,  /* bytes at *off do not form a valid frame */
};

/* Decodes the frame at *off. On OK advances *off past it. On TORN, *off is
 * left at the start of the bad frame: the valid prefix is [0, *off) and
 * `why` (may be NULL) is set to a static reason. */
enum agora_frame_status agora_frame_next(const uint8_t *buf, size_t len, size_t *off,
                                         const uint8_t **payload, uint32_t *plen,
                                         const char **why);

/* Length of the longest valid prefix of buf (a whole number of frames). */
size_t agora_frame_valid_prefix(const uint8_t *buf, size_t len);

#endif
