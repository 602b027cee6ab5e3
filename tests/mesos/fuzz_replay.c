/* fuzz_replay.c: see fuzz_replay.h. */
#include <stdio.h>
#include <string.h>

#include "fuzz_replay.h"

int fuzz_replay(const char *const *seeds, size_t n, int argc, char **argv)
{
    static uint8_t buf[65536];

    for (size_t i = 0; i < n; i++)
        LLVMFuzzerTestOneInput((const uint8_t *)seeds[i], strlen(seeds[i]));
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
    }
    return 0;
}

uint32_t fuzz_rand(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 16;
}
