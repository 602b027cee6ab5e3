/*
 * agora.pml -- Promela model of Agora's acceptor/proposer protocol: the
 * Paxos safety core of DESIGN.md section 2 ("Roles"), checked exhaustively
 * by tests/spin/run-spin.sh.  docs/model-check.md says what it covers,
 * what it leaves out, and the measured state counts.
 *
 * Bounds (fixed; the enumerations below are written out for them):
 *   3 acceptors (the three bricks), quorum 2 of 3;
 *   2 proposers (agorad), proposer ids 1 and 2;
 *   2 log slots (0 and 1), one phase 1 covering both (Multi-Paxos);
 *   ballots (round, proposer) with rounds 1..3, i.e. 6 ballots.
 *
 * Network: every message ever sent stays in a message *set*.  Delivery is
 * a nondeterministic choice of any message of the set, at any time, any
 * number of times, so the model covers loss (never delivered),
 * duplication (delivered again, unboundedly often), delay and reordering,
 * while the state stays finite (the set is bounded by the number of
 * distinct messages).  This is the network of Lamport's TLA+ Paxos.
 *
 * Properties (assertions):
 *   1. at most one value is chosen per slot (ghost `chosen`, from the
 *      acceptors' votes);
 *   2. a value a proposer learns (declares committed) is the chosen one;
 *   3. learners agree, and a learner never changes its mind.
 *
 * Variant: with -DBROKEN the acceptor takes ACCEPT(b) even when
 * b < promised (the ballot test of the ACCEPT rule is dropped).  The test
 * requires spin to find a violation there (agora-broken.pml).
 *
 * State-space reductions (each keeps every behaviour, see the comments at
 * each place): a reply nobody waits for is dropped at once (= lost);
 * replies are counted per quorum in one step; a new leader sends its
 * ACCEPTs for both slots in one step; redelivery that changes nothing is
 * not a transition; acceptors are interchangeable, so every state is
 * stored with its acceptors sorted (symmetry reduction, canon() below).
 */

/* ---------------------------------------------------------------- bounds */

#define NA      3               /* acceptors 0..2 (bricks)              */
#define NP      2               /* proposers 1..2 (agorad ids, never 0) */
#define NS      2               /* slots 0..1                           */
#define MAXR    3               /* rounds 1..MAXR                       */
#define NB      (MAXR * NP)     /* ballots 1..NB; 0 = "no ballot"       */
#define QUORUM  2               /* DESIGN.md s.2: "Quorum = 2 of 3"     */

#if NA != 3 || NP != 2 || NS != 2 || MAXR != 3
#error "the message enumerations below are written out for 3/2/2/3"
#endif

/*
 * DESIGN.md s.2: "A ballot is (round, proposer_id), ordered
 * lexicographically."  Encoded as one number, monotone in that order:
 *   b = (round - 1) * NP + proposer,  proposer in 1..NP, round in 1..MAXR,
 * so integer comparison of b is exactly the lexicographic ballot order, and
 * b = 0 is the zero ballot "none", below every real one (ballot.h).
 */
#define BALLOT(r, p)    (((r) - 1) * NP + (p))
#define ROUND(b)        (((b) - 1) / NP + 1)
#define OWNER(b)        (((b) - 1) % NP + 1)

/* Each proposer proposes its own distinct values: proposer p proposes
 * 10*p + s for slot s (10, 11, 20, 21), so a wrong choice is observable.
 * 0 = no value. */
#define VALUE(p, s)     (10 * (p) + (s))

#define NBITS(m)        (((m) & 1) + (((m) >> 1) & 1) + (((m) >> 2) & 1))

/* ------------------------------------------------------ proposer state */

#define IDLE    0               /* before the first ballot             */
#define PHASE1  1               /* PREPARE sent, waiting for PROMISEs  */
#define PHASE2  2               /* leader of its ballot: ACCEPTs sent  */

#define PS(p, s)        (((p) - 1) * NS + (s))
byte pBallot[NP];               /* current ballot, 0 before the first  */
byte pPhase[NP];
byte learned[NP * NS];          /* learner: committed value, 0 = none  */

/* ------------------------------------------------------ acceptor state */

/* Durable state of each acceptor (struct agora_acceptor): the promised
 * ballot and, per slot, the accepted (ballot, value).  The value is not a
 * variable of its own: a ballot carries one value per slot (acceptSent
 * below), so ACC_V is that value. */
#define AS(a, s)        ((a) * NS + (s))
byte promised[NA];
byte accB[NA * NS];             /* accepted ballot of (a, s), 0 = none  */
#define ACC_V(a, s)     acceptSent[BS(accB[AS(a, s)], s)]

/* CAN_TAKE(a, b, s): acceptor a would store ACCEPT(b, s, v) if it got it
 * (the test of the ACCEPT rule below; a second delivery of what it holds
 * already, accB == b, changes nothing).  BROKEN drops "b >= promised". */
#ifdef BROKEN
#define CAN_TAKE(a, b, s)       (accB[AS(a, s)] != (b))
#else
#define CAN_TAKE(a, b, s)       (accB[AS(a, s)] != (b) && (b) >= promised[a])
#endif

/* ------------------------------------------------ the network (sets) */

/* PREPARE(b), sent to all acceptors.  A proposer's ballots go up one round
 * at a time, so it has sent PREPARE for exactly its ballots up to its
 * current one. */
#define PREPARE_SENT(b) (pBallot[OWNER(b) - 1] >= (b))

/* ACCEPT(b, s, v): v, or 0 if never sent.  A proposer sends at most one
 * value per (ballot, slot), so this is the whole set of ACCEPTs. */
#define BS(b, s)        ((b) * NS + (s))
byte acceptSent[(NB + 1) * NS];

/* PROMISE(b) from acceptor a, with a's accepted ballot per slot as it was
 * when a promised (the value is acceptSent of that ballot).  An acceptor
 * promises a ballot at most once (b > promised is strict), so (a, b)
 * names the message. */
#define AB(a, b)        ((a) * (NB + 1) + (b))
#define ABS(a, b, s)    (AB(a, b) * NS + (s))
bit  promiseSent[NA * (NB + 1)];
byte promiseB[NA * (NB + 1) * NS];

/* ACCEPTED(b, s) from acceptor a.  An acceptor replies ACCEPTED exactly
 * when it stores (b, s, v), so these replies are also the history of votes
 * that defines "chosen" (ghost below), and the proposer of b counts them
 * per acceptor (learner, below).  What is kept is what both need, the
 * number of distinct acceptors that sent ACCEPTED(b, s):
 *  - correct model: a count.  An acceptor votes for (b, s) at most once:
 *    it takes ACCEPT(b, s) only while accB != b and b >= promised, after
 *    which accB == b until it accepts a higher ballot, which lifts promised
 *    above b for good.
 *  - BROKEN: a bitmask of acceptors, since a broken acceptor may vote for
 *    (b, s) again after moving on, and must not be counted twice. */
byte acceptedFrom[(NB + 1) * NS];
#ifdef BROKEN
#define VOTE(a, b, s)   acceptedFrom[BS(b, s)] = acceptedFrom[BS(b, s)] | (1 << (a))
#define NVOTES(b, s)    NBITS(acceptedFrom[BS(b, s)])
#define VOTED(a, x)     ((acceptedFrom[x] >> (a)) & 1)
#else
#define VOTE(a, b, s)   acceptedFrom[BS(b, s)]++
#define NVOTES(b, s)    acceptedFrom[BS(b, s)]
#define VOTED(a, x)     0
#endif

/* -------------------------------------------------------- ghost state */

/* chosen[s]: the value that a quorum of acceptors voted for in one ballot
 * ("count ACCEPTED per (slot, ballot, value) across acceptors").  Taken
 * from the vote history, not from the acceptors' current state, which a
 * later ballot may overwrite. */
byte chosen[NS];

/* scratch for the atomic steps; hidden: not part of the state */
hidden byte i_, j_, t_;
hidden int k1[NA], k2[NA];

/* ================================================================
 * Symmetry reduction.  Nothing in the protocol tells acceptors apart
 * (a quorum is any 2 of them, and the proposer looks at every pair), so a
 * state and the same state with the acceptors renamed have the same
 * futures up to that renaming, and the properties do not mention acceptor
 * names.  After every step that touches acceptor data the acceptors are
 * sorted by a key made of all their data; acceptors with equal keys are
 * identical, so the sorted state is the same for every renaming.
 * ================================================================ */

inline key(a)
{
    k1[a] = promised[a] * 64 + accB[AS(a, 0)] * 8 + accB[AS(a, 1)];
    k2[a] = 0;
    j_ = 1;
    do
    :: j_ <= NB ->
        k2[a] = k2[a] * 4 + VOTED(a, BS(j_, 0)) * 2 + VOTED(a, BS(j_, 1));
        j_++
    :: else -> break
    od;
    j_ = 0;
    do
    :: j_ < NP ->
        k2[a] = k2[a] * 128 + promiseSent[AB(a, pBallot[j_])] * 64 +
                              promiseB[ABS(a, pBallot[j_], 0)] * 8 +
                              promiseB[ABS(a, pBallot[j_], 1)];
        j_++
    :: else -> break
    od;
    j_ = 0
}

#define SWAPB(x, y)     t_ = x; x = y; y = t_

inline swap(i, j)
{
    SWAPB(promised[i], promised[j]);
    SWAPB(accB[AS(i, 0)], accB[AS(j, 0)]);
    SWAPB(accB[AS(i, 1)], accB[AS(j, 1)]);
    j_ = 0;
    do
    :: j_ <= NB ->
        SWAPB(promiseSent[AB(i, j_)], promiseSent[AB(j, j_)]);
        SWAPB(promiseB[ABS(i, j_, 0)], promiseB[ABS(j, j_, 0)]);
        SWAPB(promiseB[ABS(i, j_, 1)], promiseB[ABS(j, j_, 1)]);
        j_++
    :: else -> break
    od;
    j_ = 0;
    do
    :: j_ < (NB + 1) * NS ->
        if
        :: VOTED(i, j_) != VOTED(j, j_) ->
            acceptedFrom[j_] = acceptedFrom[j_] ^ ((1 << (i)) | (1 << (j)))
        :: else -> skip
        fi;
        j_++
    :: else -> break
    od;
    j_ = 0;
    t_ = 0;
    k1[i] = k1[i] + k1[j]; k1[j] = k1[i] - k1[j]; k1[i] = k1[i] - k1[j];
    k2[i] = k2[i] + k2[j]; k2[j] = k2[i] - k2[j]; k2[i] = k2[i] - k2[j]
}

inline order(i, j)
{
    if
    :: k1[i] > k1[j] || (k1[i] == k1[j] && k2[i] > k2[j]) -> swap(i, j)
    :: else -> skip
    fi
}

/* ================================================================
 * Dead messages (not in the BROKEN variant).  Once no acceptor can take
 * ACCEPT(b, s) any more (each one has promised above b, or holds (b, s)
 * already: both last for ever, since promised never goes down), the
 * ballot's votes for s can no longer change: they have been counted
 * (chosen, learned) and are cleared, and the ACCEPT itself is dropped from
 * the network unless an acceptor still holds its value or a PROMISE
 * carries it.  States that differ only in such dead history have the
 * same futures.  (With BROKEN, promised no longer bars an ACCEPT, so
 * nothing is ever dead.)
 * ================================================================ */

inline gc()
{
#ifndef BROKEN
    i_ = 1;
    do
    :: i_ <= NB ->
        j_ = 0;
        do
        :: j_ < NS ->
            if
            :: !CAN_TAKE(0, i_, j_) && !CAN_TAKE(1, i_, j_) && !CAN_TAKE(2, i_, j_) ->
                acceptedFrom[BS(i_, j_)] = 0;
                if
                :: accB[AS(0, j_)] != i_ && accB[AS(1, j_)] != i_ && accB[AS(2, j_)] != i_ &&
                   promiseB[ABS(0, pBallot[0], j_)] != i_ && promiseB[ABS(1, pBallot[0], j_)] != i_ &&
                   promiseB[ABS(2, pBallot[0], j_)] != i_ && promiseB[ABS(0, pBallot[1], j_)] != i_ &&
                   promiseB[ABS(1, pBallot[1], j_)] != i_ && promiseB[ABS(2, pBallot[1], j_)] != i_ ->
                    acceptSent[BS(i_, j_)] = 0
                :: else -> skip
                fi
            :: else -> skip
            fi;
            j_++
        :: else -> break
        od;
        i_++
    :: else -> break
    od;
    i_ = 0;
    j_ = 0
#endif
}

inline canon()
{
    gc();
    key(0); key(1); key(2);
    order(0, 1); order(1, 2); order(0, 1);
    k1[0] = 0; k1[1] = 0; k1[2] = 0;
    k2[0] = 0; k2[1] = 0; k2[2] = 0
}

/* ================================================================
 * Learner.  The ACCEPTED(b, s) replies go to b's proposer, which counts
 * them per acceptor (a bitmask: duplicates do not make a quorum) while it
 * still leads ballot b; a quorum commits slot s and the proposer, as
 * learner, declares the value it sent for (b, s) committed.
 * The model lets it learn in the very step in which the quorum of votes
 * forms, if it still leads b then.  That covers every learn the real
 * proposer can make: it can only count the replies while it leads b, it
 * led b already when the quorum formed (it never returns to a ballot),
 * and it learns the same value, only later or never.
 * ================================================================ */

inline learn(b, s)
{
    if
    :: pBallot[OWNER(b) - 1] == (b) && pPhase[OWNER(b) - 1] == PHASE2 ->
        /* A learner never changes its mind. */
        assert(learned[PS(OWNER(b), s)] == 0 ||
               learned[PS(OWNER(b), s)] == acceptSent[BS(b, s)]);
        learned[PS(OWNER(b), s)] = acceptSent[BS(b, s)];
        /* Property 2: a value declared committed is the chosen value. */
        assert(learned[PS(OWNER(b), s)] == chosen[s]);
        /* Property 3: learners agree. */
        assert(learned[PS(3 - OWNER(b), s)] == 0 ||
               learned[PS(3 - OWNER(b), s)] == learned[PS(OWNER(b), s)])
    :: else -> skip
    fi
}

/* ================================================================
 * Acceptor rules (DESIGN.md s.2, "Acceptor rules").  Each rule is one
 * atomic step: receive, update the durable state, reply ("durable before
 * replying").
 * ================================================================ */

/* "PREPARE(b, from_slot): if b > promised [and no other proposer holds an
 *  unexpired lease], set promised = b, reply PROMISE with every accepted
 *  (slot, ballot, value) at or above from_slot [...] Else reject with
 *  promised."
 * from_slot is 0 here (no compaction), so the PROMISE carries every slot.
 * The lease clause is not modelled: it can only turn a promise into a
 * reject.  A reject changes nothing (the proposer may restart at any time
 * anyway, which is all a reject can cause), so only deliveries that the
 * rule grants are transitions. */
#define PREPARE_OK(a, b)        (PREPARE_SENT(b) && (b) > promised[a])

inline on_prepare(a, b)
{
    promised[a] = b;                            /* "set promised = b" */
    /* "reply PROMISE": kept in the network only while its proposer
     * still waits for it (ballot b, phase 1).  A proposer ignores a
     * PROMISE for any other ballot, so such a reply is as good as lost
     * and keeping it would only add dead states. */
    if
    :: pBallot[OWNER(b) - 1] == (b) && pPhase[OWNER(b) - 1] == PHASE1 ->
        promiseSent[AB(a, b)] = 1;
        promiseB[ABS(a, b, 0)] = accB[AS(a, 0)];
        promiseB[ABS(a, b, 1)] = accB[AS(a, 1)]
    :: else -> skip
    fi;
    canon()
}

/* "ACCEPT(b, first_slot, entries, commit): if b >= promised, store the
 *  entries, promised = b, [renew the lease,] reply ACCEPTED [...] Else
 *  reject with promised."
 * One entry per ACCEPT here: a batch is its entries delivered back to
 * back, which the model includes.  Re-delivering an ACCEPT that the
 * acceptor already holds (accB == b) changes nothing and is skipped.
 * BROKEN drops the "b >= promised" test, so a stale leader's ACCEPT is
 * stored after the acceptor promised a higher ballot. */
#define ACCEPT_OK(a, b, s)      (acceptSent[BS(b, s)] != 0 && CAN_TAKE(a, b, s))

inline on_accept(a, b, s)
{
    /* "promised = b" (b >= promised by the rule; the BROKEN variant does
     * not lower promised either, it only stores the stale entry). */
    if
    :: (b) > promised[a] -> promised[a] = b
    :: else -> skip
    fi;
    accB[AS(a, s)] = b;                         /* "store the entries" */
    VOTE(a, b, s);
                                                /* "reply ACCEPTED"    */
    /* ghost: a quorum of votes for (b, s) chooses its value */
    if
    :: NVOTES(b, s) >= QUORUM ->
        if
        :: chosen[s] == 0 -> chosen[s] = acceptSent[BS(b, s)]
        :: else ->
            /* Property 1: at most one value is chosen per slot. */
            assert(chosen[s] == acceptSent[BS(b, s)])
        fi;
        learn(b, s)
    :: else -> skip
    fi;
    canon()
}

/* One option per message an acceptor can be handed. */
#define RECV_PREPARE(b) \
    :: d_step { PREPARE_OK(a, b) -> on_prepare(a, b) }
#define RECV_ACCEPT(b, s) \
    :: d_step { ACCEPT_OK(a, b, s) -> on_accept(a, b, s) }
#define RECV_ACCEPT2(b) RECV_ACCEPT(b, 0) RECV_ACCEPT(b, 1)

proctype Acceptor(byte a)
{
end:
    do
    RECV_PREPARE(1) RECV_PREPARE(2) RECV_PREPARE(3)
    RECV_PREPARE(4) RECV_PREPARE(5) RECV_PREPARE(6)
    RECV_ACCEPT2(1) RECV_ACCEPT2(2) RECV_ACCEPT2(3)
    RECV_ACCEPT2(4) RECV_ACCEPT2(5) RECV_ACCEPT2(6)
    od
}

/* ================================================================
 * Proposer / learner (DESIGN.md s.2: "Proposers / learners = the agorad
 * of each host"; Multi-Paxos: "a leader runs phase 1 once for all future
 * slots, then phase 2 per batch of entries").
 * ================================================================ */

/* Forget the PROMISEs for ballot b once nobody waits for them. */
inline drop_promises(b)
{
    i_ = 0;
    do
    :: i_ < NA ->
        promiseSent[AB(i_, b)] = 0;
        promiseB[ABS(i_, b, 0)] = 0;
        promiseB[ABS(i_, b, 1)] = 0;
        i_++
    :: else -> break
    od;
    i_ = 0
}

/* Start (or restart) a ballot: the fresh ballot (round + 1, p), above
 * every ballot p used before.  A proposer may give up at any time, in any
 * phase (timeout, reject, step down) and start again.  Taking round + 1
 * rather than any higher round loses no behaviour: skipping a round is the
 * same as using it and losing all its messages.  PREPARE goes to all three
 * acceptors ("sends to all bricks in parallel"): see PREPARE_SENT. */
#define START_OK        (pBallot[p - 1] == 0 || ROUND(pBallot[p - 1]) < MAXR)

inline start_ballot(p)
{
    if
    :: pPhase[p - 1] == PHASE1 -> drop_promises(pBallot[p - 1])
    :: else -> skip
    fi;
    pBallot[p - 1] = BALLOT((pBallot[p - 1] == 0 -> 1 : ROUND(pBallot[p - 1]) + 1), p);
    pPhase[p - 1] = PHASE1;
    canon()
}

/* Phase 1 ends when PROMISEs for our ballot from a quorum {i, j} have
 * arrived ("proceeds on the first quorum of answers").  The proposer
 * counts each acceptor once (a bitmask in struct agora_proposer), so
 * duplicates cannot fake a quorum; taking the two PROMISEs one by one ends
 * in the same state as this single step, because a PROMISE's content is
 * fixed when the acceptor sends it.  For each slot the proposer proposes
 * the accepted value with the highest ballot among the quorum's PROMISEs,
 * or its own value if neither reported one.
 * Phase 2 at once: the new leader sends ACCEPT(b, s, value) for both
 * slots to all acceptors in this step.  Sending a slot's ACCEPT later, or
 * never (a restart first), is covered: the network may hold it back or
 * lose it. */
#define PROMISES_OK(i, j) \
    (pPhase[p - 1] == PHASE1 && promiseSent[AB(i, pBallot[p - 1])] \
     && promiseSent[AB(j, pBallot[p - 1])])

/* highest accepted ballot for slot s among the PROMISEs of i and j */
#define HIGHEST(i, j, s) \
    (promiseB[ABS(i, pBallot[p - 1], s)] > promiseB[ABS(j, pBallot[p - 1], s)] \
     -> promiseB[ABS(i, pBallot[p - 1], s)] : promiseB[ABS(j, pBallot[p - 1], s)])

inline propose(i, j, s)
{
    t_ = HIGHEST(i, j, s);
    acceptSent[BS(pBallot[p - 1], s)] =
        (t_ == 0 -> VALUE(p, s) : acceptSent[BS(t_, s)]);
    t_ = 0
}

inline on_promises(i, j)
{
    propose(i, j, 0);
    propose(i, j, 1);
    pPhase[p - 1] = PHASE2;
    drop_promises(pBallot[p - 1]);
    canon()
}

#define RECV_PROMISES(i, j) \
    :: d_step { PROMISES_OK(i, j) -> on_promises(i, j) }

proctype Proposer(byte p)
{
end:
    do
    :: d_step { START_OK -> start_ballot(p) }
    RECV_PROMISES(0, 1) RECV_PROMISES(0, 2) RECV_PROMISES(1, 2)
    od
}

init
{
    atomic {
        run Acceptor(0); run Acceptor(1); run Acceptor(2);
        run Proposer(1); run Proposer(2)
    }
}
