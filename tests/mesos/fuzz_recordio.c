/* fuzz_recordio.c: libFuzzer target for the RecordIO reader. The input is
 * fed in pieces whose sizes come from its first byte; every record handed
 * out must lie inside what was fed. Built without -fsanitize=fuzzer it is a
 * plain program that runs every file named on the command line (the corpus
 * replay used by make check). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_replay.h"
#include "recordio.h"

static int check(void *ctx, const char *rec, size_t len)
{
    size_t *total = ctx;
    if (len == 0)
        abort();
    *total += len;
    volatile char sink = rec[0];
    sink = rec[len - 1];
    (void)sink;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct agl_recordio r;
    size_t step, off = 1, total = 0, fed = 0;

    if (size == 0)
        return 0;
    step = (size_t)(data[0] % 17) + 1;
    agl_recordio_init(&r, 4096);
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        fed += n;
        if (agl_recordio_feed(&r, (const char *)data + off, n, check, &total) != 0)
            break;
        off += n;
    }
    if (total > fed)
        abort();
    agl_recordio_free(&r);
    return 0;
}

#ifndef AGL_LIBFUZZER
int main(int argc, char **argv)
{
    static const char *const seeds[] = {"\x03" "3\nabc2\nde", "\x01" "\n\n1\nx0\n", "\x05" "99999999999999999999999\n", "\x02" "5\nab"};
    if (fuzz_replay(seeds, sizeof seeds / sizeof *seeds, argc, argv) != 0)
        return 1;
    /* A pseudo-random sweep so the replay exercises more than the seeds. */
    uint32_t x = 12345;
    for (int k = 0; k < 20000; k++) {
        uint8_t buf[64];
        size_t n = (size_t)(k % 64);
        for (size_t j = 0; j < n; j++)
            buf[j] = "0123456789\n\nab{}"[fuzz_rand(&x) % 16];
        LLVMFuzzerTestOneInput(buf, n);
    }
    return 0;
}
#endif
