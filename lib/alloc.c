/* alloc.c: the core's allocator hooks. The only file of the core allowed to
 * call the C library's allocator (tests/check-purity.sh enforces it). */
#include <stdlib.h>
#include <string.h>

#include "agora/common.h"

void *agora_malloc(size_t n)
{
    return malloc(n ? n : 1);
}

void *agora_calloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size ? size : 1);
}

void *agora_realloc(void *p, size_t n)
{
    return realloc(p, n ? n : 1);
}

void agora_free(void *p)
{
    free(p);
}

char *agora_strndup(const char *s, size_t n)
{
    char *d = agora_malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

const char *agora_strerror(int rc)
{
    switch (rc) {
    case AGORA_OK: return "success";
    case AGORA_ENOMEM: return "out of memory";
    case AGORA_EINVAL: return "invalid input";
    case AGORA_ECORRUPT: return "corrupt data (checksum or impossible field)";
    case AGORA_ETRUNC: return "input truncated";
    case AGORA_ENOTLEADER: return "not the leader (no lease)";
    case AGORA_ETOOBIG: return "size bound exceeded";
    case AGORA_ENOENT: return "not found";
    case AGORA_EEXIST: return "already exists";
    case AGORA_ESTALE: return "request already applied";
    default: return "unknown error";
    }
}
