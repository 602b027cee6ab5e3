/*
 * agora-broken.pml -- agora.pml with a wrong acceptor rule: the acceptor
 * stores ACCEPT(b) even when b < promised (DESIGN.md section 2 requires
 * b >= promised).  run-spin.sh requires spin to find a safety violation
 * in this model; if it does not, the checker could not catch a wrong
 * acceptor rule and the test fails.  Same as `spin -DBROKEN agora.pml`.
 */
#define BROKEN
#include "agora.pml"
