/* fuzz_replay.h: the plain-program side of the libFuzzer targets of
 * tests/mesos (fuzz_*.c built without -fsanitize=fuzzer): their seeds and
 * the files named on the command line each go once through the target,
 * and their random sweeps draw from one fixed sequence. */
#ifndef AGL_FUZZ_REPLAY_H
#define AGL_FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the n seeds (strings), then argv[1..argc) (at most 64 KiB of each
 * file); 0, or 1 if a file cannot be read. */
int fuzz_replay(const char *const *seeds, size_t n, int argc, char **argv);

/* The next pseudo-random number (a linear congruential generator: the same
 * sweep on every run). */
uint32_t fuzz_rand(uint32_t *state);

#endif
