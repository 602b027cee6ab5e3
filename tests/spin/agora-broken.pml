/* agora-broken.pml: agora.pml with a deliberately wrong acceptor rule
 * (ACCEPT taken below the promise). run-spin.sh requires spin to find a
 * violation here: it shows the model check can catch a broken rule. */
#define BROKEN 1
#include "agora.pml"
