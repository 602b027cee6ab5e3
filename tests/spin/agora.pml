/*
 * agora.pml -- Promela model of Agora's acceptor/proposer protocol: the
 * Paxos safety core of DESIGN.md section 2 ("Roles"), checked exhaustively
 * by tests/spin/run-spin.sh.  docs/model-check.md says what it covers,
 * what it leaves out, and the measured state counts.
 *
 * Bounds (the message enumerations below are written out for them; MAXR
 * may be lowered to 2 for quick runs):
 *   3 acceptors (the three bricks), quorum 2 of 3;
 *   2 proposers (agorad), proposer ids 1 and 2;
 *   2 log slots (0 and 1), one phase 1 covering both (Multi-Paxos);
 *   ballots (round, proposer) with rounds 1..3, i.e. 6 ballots.
 *
 * Network: every message ever sent stays in a message *set*.  Delivery is
 * a nondeterministic choice of any message of the set, at any time, any
 * number of times, so the model covers loss (never delivered),
 * duplication (delivered again, unboundedly often), delay and reordering,
 * while the state stays finite.  This is the network of Lamport's TLA+
 * Paxos specification.  What a reply (PROMISE, ACCEPTED) does at its
 * proposer is folded into the step that sends it; "Learner" and
 * "Proposer, phase 1 end" below argue why that loses no behaviour.
 *
 * Properties (assertions):
 *   1. at most one value is chosen per slot (ghost `chosen`, from the
 *      acceptors' votes);
 *   2. a value a proposer learns (declares committed) is the chosen one;
 *   3. learners agree, and a learner never changes its mind.
 *
 * Variants (spin -D...; run-spin.sh runs all of them):
 *   BROKEN        the acceptor takes ACCEPT(b) even when b < promised (the
 *                 ballot test of the ACCEPT rule is dropped); spin must find
 *                 a violation (agora-broken.pml);
 *   KEEP_LEARNED  every learner's value is kept and agreement checked pair
 *                 by pair (see "Learner");
 *   PROBE         a false claim spin must refute, to show the model is not
 *                 vacuous (see propose());
 *   MAXR=2        rounds 1..2 only, for quick runs.
 * A counterexample: `./pan -r` replays it and prints the state after each
 * step (show_state() at the end of this file).
 *
 * One process, Network, takes the steps: each is the delivery of one
 * message to one acceptor, with what the acceptor does and what its reply
 * causes.  Each step is one d_step (atomic, deterministic) that ends in
 * normalize(): a state-space reduction written in C at the end of this
 * file (symmetry, collection of dead messages and of data nobody can read
 * any more), which is not part of the protocol; its comments argue why it
 * keeps every behaviour.  Other reductions are argued where they are made;
 * they are all of the kind "this step, done earlier or merged with that
 * one, reaches the same states".
 */

/* ---------------------------------------------------------------- bounds */

#define NA      3               /* acceptors 0..2 (bricks)              */
#define NP      2               /* proposers 1..2 (agorad ids, never 0) */
#define NS      2               /* slots 0..1                           */
#ifndef MAXR
#define MAXR    3               /* rounds 1..MAXR (2 for quick runs)   */
#endif
#define NB      (MAXR * NP)     /* ballots 1..NB; 0 = "no ballot"       */
#define QUORUM  2               /* DESIGN.md s.2: "Quorum = 2 of 3"     */

#if NA != 3 || NP != 2 || NS != 2 || MAXR < 2 || MAXR > 3
#error "the message enumerations below are written out for 3/2/2/2..3"
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

/* ------------------------------------------------------ acceptor state */

/* Durable state of each acceptor (struct agora_acceptor): the promised
 * ballot and, per slot, the accepted (ballot, value).  The value is not a
 * variable of its own: a ballot carries one value per slot (acceptSent
 * below), so ACC_V is that value. */
#define AS(a, s)        ((a) * NS + (s))
byte promised[NA];
byte accB[NA * NS];             /* accepted ballot of (a, s), 0 = none  */
#define ACC_V(a, s)     acceptSent[BS(accB[AS(a, s)], s)]

/* ------------------------------------------------ the network (sets) */

/* PREPARE(b), sent to all acceptors.  A proposer has sent PREPARE for all
 * its ballots up to its current one (a round it skipped counts as one
 * whose PROMISEs were all lost, see "Proposer, (re)start"). */
#define PREPARE_SENT(b) (pBallot[OWNER(b) - 1] >= (b))

/* ACCEPT(b, s, v): v, or 0 if never sent.  A proposer sends at most one
 * value per (ballot, slot), so this is the whole set of ACCEPTs. */
#define BS(b, s)        ((b) * NS + (s))
byte acceptSent[(NB + 1) * NS];

/* ACCEPTED(b, s) from acceptor a.  An acceptor replies ACCEPTED exactly
 * when it stores (b, s, v), so these replies are also the history of votes
 * that defines "chosen" (ghost below), and b's proposer counts them per
 * acceptor (learner, below).  Kept is what both need, the number of
 * distinct acceptors that sent ACCEPTED(b, s):
 *  - correct model: a count.  An acceptor votes for (b, s) at most once:
 *    it takes ACCEPT(b, s) only while accB != b and b >= promised, after
 *    which accB == b until it accepts a higher ballot, which lifts promised
 *    above b for good.  Counting stops at QUORUM: all that is ever asked
 *    is whether a quorum voted.
 *  - BROKEN: a bitmask of acceptors, since a broken acceptor may vote for
 *    (b, s) again after moving on, and must not be counted twice. */
byte acceptedFrom[(NB + 1) * NS];
#ifdef BROKEN
#define VOTE(a, b, s)   acceptedFrom[BS(b, s)] = acceptedFrom[BS(b, s)] | (1 << (a))
#define NVOTES(b, s)    NBITS(acceptedFrom[BS(b, s)])
#else
#define VOTE(a, b, s)   acceptedFrom[BS(b, s)] = \
                        (acceptedFrom[BS(b, s)] < QUORUM -> acceptedFrom[BS(b, s)] + 1 : QUORUM)
#define NVOTES(b, s)    acceptedFrom[BS(b, s)]
#endif

/* ------------------------------------------------------ proposer state */

#define PHASE1  1               /* PREPARE sent, collecting PROMISEs   */
#define PHASE2  0               /* phase 1 over: leading the ballot (its
                                 * ACCEPTs sent), or given up on it and
                                 * waiting to restart; also before the
                                 * first ballot.  Leading and given up
                                 * differ in nothing else: only a leader
                                 * has ACCEPTs, hence votes, to count. */

#define PS(p, s)        (((p) - 1) * NS + (s))
byte pBallot[NP];               /* current ballot, 0 before the first  */
byte pPhase[NP];
byte pPromises[NP];             /* PROMISEs counted so far: 0 or 1     */
byte pRecB[NP * NS];            /* highest accepted ballot they report */
#ifdef KEEP_LEARNED
byte learned[NP * NS];          /* learner: committed value, 0 = none  */
#endif

/* -------------------------------------------------------- ghost state */

/* chosen[s]: the value that a quorum of acceptors voted for in one ballot
 * ("count ACCEPTED per (slot, ballot, value) across acceptors").  Taken
 * from the vote history, not from the acceptors' current state, which a
 * later ballot may overwrite. */
byte chosen[NS];

byte t_;                        /* scratch inside a d_step, always 0
                                 * between steps (not hidden: pan -DNCORE
                                 * does not allow hidden variables) */

/* ================================================================
 * Learner.  ACCEPTED(b, s) goes to b's proposer, which counts it per
 * acceptor (a bitmask in struct agora_proposer: duplicates do not make a
 * quorum) while it still leads ballot b; a quorum commits slot s, and the
 * proposer, as learner, declares the value it sent for (b, s) committed.
 * The model lets it learn in the very step in which the quorum of votes
 * forms, if it still leads b then.  That covers every learn the real
 * proposer can make: it only counts replies while it leads b, so it led
 * b already when the quorum formed (it never returns to a ballot), and
 * it learns the same value, only later or never.
 *
 * Property 3 (learners agree, and none changes its mind) needs no memory
 * of what was learned: every learn of slot s, by any learner at any time,
 * is asserted equal to chosen[s] (property 2), and chosen[s] is asserted
 * never to change (property 1), so any two learned values are equal.
 * With -DKEEP_LEARNED the model also stores each learner's value and
 * checks agreement pairwise; that is the same property at about four
 * times the states (learning history is otherwise not part of the state),
 * so run-spin.sh runs it with rounds 1..2 only.
 * ================================================================ */

inline learn(b, s)
{
    if
    :: pBallot[OWNER(b) - 1] == (b) && pPhase[OWNER(b) - 1] == PHASE2 ->
        /* b's proposer still leads b (it sent ACCEPT(b), so phase 1 is
         * over) and counts the ACCEPTED replies */
        /* Property 2: the value declared committed (the value the
         * proposer sent for (b, s)) is the chosen value. */
        assert(acceptSent[BS(b, s)] == chosen[s])
#ifdef KEEP_LEARNED
        ;
        /* A learner never changes its mind. */
        assert(learned[PS(OWNER(b), s)] == 0 ||
               learned[PS(OWNER(b), s)] == acceptSent[BS(b, s)]);
        learned[PS(OWNER(b), s)] = acceptSent[BS(b, s)];
        /* Property 3: learners agree. */
        assert(learned[PS(3 - OWNER(b), s)] == 0 ||
               learned[PS(3 - OWNER(b), s)] == learned[PS(OWNER(b), s)])
#endif
    :: else -> skip
    fi
}

/* ================================================================
 * Proposer, phase 1 end.  The PROMISE of acceptor a for ballot b goes to
 * b's proposer, which counts each acceptor once and "proceeds on the
 * first quorum of answers".  The model decides, in the step in which a
 * promises, whether that PROMISE is ever counted or not (lost, late, or
 * nobody waits for it any more): two options of RECV_PREPARE below.  Every
 * real run is covered: if the proposer proceeds on the PROMISEs of x and
 * y, the model counts those two and drops the PROMISEs that came before
 * the later of them, then proceeds right when it promises, which only
 * sends the ACCEPTs earlier (the network may hold them back).  A PROMISE
 * is fixed when sent, so counting it early changes nothing else.
 * Duplicates: an acceptor promises b at most once (b > promised is
 * strict), and a copy of a counted PROMISE is ignored.
 *
 * On the quorum, for each slot the proposer proposes the accepted value
 * with the highest ballot reported by the quorum's PROMISEs, or its own
 * value if none reported one, and sends ACCEPT(b, s, value) for both
 * slots to all acceptors (phase 2).  A slot's ACCEPT sent later, or never
 * (restart first), is covered: the network may hold it back or lose it.
 * ================================================================ */

/* -DPROBE (run-spin.sh): a claim spin must refute, to show that the model
 * reaches the case phase 1 exists for: "no proposer ever proposes, as the
 * highest reported value, another proposer's value that is already
 * chosen". */
#ifdef PROBE
#define PROBE_CHECK(p, s, hb) \
    assert(!(hb != 0 && acceptSent[BS(hb, s)] != VALUE(p, s) && acceptSent[BS(hb, s)] == chosen[s]))
#else
#define PROBE_CHECK(p, s, hb)   skip
#endif

inline propose(p, s, hb)
{
    PROBE_CHECK(p, s, hb);
    acceptSent[BS(pBallot[p - 1], s)] = (hb == 0 -> VALUE(p, s) : acceptSent[BS(hb, s)])
}

inline promise_heard(a, b)
{
    if
    :: pPromises[OWNER(b) - 1] == 0 ->
        pPromises[OWNER(b) - 1] = 1;
        pRecB[PS(OWNER(b), 0)] = accB[AS(a, 0)];
        pRecB[PS(OWNER(b), 1)] = accB[AS(a, 1)]
    :: else ->                                  /* second: a quorum */
        t_ = (accB[AS(a, 0)] > pRecB[PS(OWNER(b), 0)] -> accB[AS(a, 0)] : pRecB[PS(OWNER(b), 0)]);
        propose(OWNER(b), 0, t_);
        t_ = (accB[AS(a, 1)] > pRecB[PS(OWNER(b), 1)] -> accB[AS(a, 1)] : pRecB[PS(OWNER(b), 1)]);
        propose(OWNER(b), 1, t_);
        t_ = 0;
        pPhase[OWNER(b) - 1] = PHASE2;
        pPromises[OWNER(b) - 1] = 0;
        pRecB[PS(OWNER(b), 0)] = 0;
        pRecB[PS(OWNER(b), 1)] = 0
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
 * from_slot is 0 here (no compaction), so the PROMISE reports every slot:
 * accB[a][*], whose values are in acceptSent.  The lease clause is not
 * modelled: it can only turn a promise into a reject.  A reject changes
 * nothing (the proposer may restart at any time anyway, which is all a
 * reject can cause), so only deliveries the rule grants are steps.
 * HEARD: the PROMISE will be counted by its proposer, which must still be
 * in phase 1 of b (see "Proposer, phase 1 end"). */
#define PREPARE_OK(a, b)        (PREPARE_SENT(b) && (b) > promised[a])
#define HEARD_OK(b)     (pBallot[OWNER(b) - 1] == (b) && pPhase[OWNER(b) - 1] == PHASE1)

/* "ACCEPT(b, first_slot, entries, commit): if b >= promised, store the
 *  entries, promised = b, [renew the lease,] reply ACCEPTED [...] Else
 *  reject with promised."
 * One entry per ACCEPT here: a batch is its entries delivered back to
 * back, which the model includes.  Re-delivering an ACCEPT the acceptor
 * already holds (accB == b) changes nothing and is not a step.
 * BROKEN drops the "b >= promised" test, so a stale leader's ACCEPT is
 * stored after the acceptor promised a higher ballot. */
#ifdef BROKEN
#define CAN_TAKE(a, b, s)       (accB[AS(a, s)] != (b))
#else
#define CAN_TAKE(a, b, s)       (accB[AS(a, s)] != (b) && (b) >= promised[a])
#endif
#define ACCEPT_OK(a, b, s)      (acceptSent[BS(b, s)] != 0 && CAN_TAKE(a, b, s))

inline on_accept(a, b, s)
{
    /* "promised = b" (b >= promised by the rule; the BROKEN variant does
     * not lower promised either, it only stores the stale entry) */
    if
    :: (b) > promised[a] -> promised[a] = b
    :: else -> skip
    fi;
    accB[AS(a, s)] = b;                         /* "store the entries" */
    VOTE(a, b, s);                              /* "reply ACCEPTED"    */
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
    fi
}

/* FIRST(a): no acceptor before a is in the same state.  Correct model
 * only, where an acceptor's own state is (promised, accB[*]) and nothing
 * else: a step of a twin of a lower acceptor leads to the same state as
 * the lower one's step with the two renamed, which normalize() stores as
 * one state anyway, so only the lowest twin needs to take it. */
#ifdef BROKEN
#define FIRST(a)        true
#else
#define SAME(x, y)      (promised[x] == promised[y] && accB[AS(x, 0)] == accB[AS(y, 0)] && \
                         accB[AS(x, 1)] == accB[AS(y, 1)])
#define FIRST(a)        (a == 0 || (!SAME(0, a) && (a == 1 || !SAME(1, a))))
#endif

/* ================================================================
 * Proposer, (re)start.  A proposer may give up its ballot at any time, in
 * any phase (timeout, reject, step down), and start a fresh ballot
 * (r, p) with a round r above every round it used; its PREPARE(b) goes
 * to all three acceptors ("sends to all bricks in parallel").
 * The model merges the start with the first delivery of the new PREPARE
 * (RESTART below).  Nothing is lost: until some acceptor gets the new
 * PREPARE, the start shows only in that the proposer stops counting
 * PROMISEs of its old ballot, which is the same as those being lost; a
 * ballot whose PREPARE reaches nobody is the same as a skipped round; and
 * skipping rounds r+1..r'-1 is the same as running them with every
 * PROMISE lost, so their PREPAREs still count as sent (PREPARE_SENT).
 * ================================================================ */

#define CUR_ROUND(p)    (pBallot[(p) - 1] == 0 -> 0 : ROUND(pBallot[(p) - 1]))

inline start_ballot(p, r)
{
    pBallot[p - 1] = BALLOT(r, p);
    pPhase[p - 1] = PHASE1;
    pPromises[p - 1] = 0;
    pRecB[PS(p, 0)] = 0;
    pRecB[PS(p, 1)] = 0
}

/* ================================================================
 * The network.  One option per message an acceptor a can be handed:
 *   PREPARE(b), its PROMISE lost or never counted;
 *   PREPARE(b), its PROMISE counted (see "Proposer, phase 1 end");
 *   ACCEPT(b, s);
 *   the first PREPARE of proposer p's new ballot in round r, either way.
 * ================================================================ */

#define RECV_PREPARE(a, b) \
    :: d_step { FIRST(a) && PREPARE_OK(a, b) -> \
                promised[a] = b; c_code { normalize(); } } \
    :: d_step { FIRST(a) && PREPARE_OK(a, b) && HEARD_OK(b) -> \
                promise_heard(a, b); promised[a] = b; c_code { normalize(); } }

#define RECV_ACCEPT(a, b, s) \
    :: d_step { FIRST(a) && ACCEPT_OK(a, b, s) -> \
                on_accept(a, b, s); c_code { normalize(); } }

#define RESTART_OK(a, p, r)     (FIRST(a) && CUR_ROUND(p) < (r) && BALLOT(r, p) > promised[a])
#define RESTART(a, p, r) \
    :: d_step { RESTART_OK(a, p, r) -> \
                start_ballot(p, r); promised[a] = BALLOT(r, p); c_code { normalize(); } } \
    :: d_step { RESTART_OK(a, p, r) -> \
                start_ballot(p, r); promise_heard(a, BALLOT(r, p)); promised[a] = BALLOT(r, p); \
                c_code { normalize(); } }

#if MAXR >= 3
#define BALLOTS56(M, a) M(a, 5) M(a, 6)
#define ROUND3(a, p)    RESTART(a, p, 3)
#else
#define BALLOTS56(M, a)
#define ROUND3(a, p)
#endif
#define RECV_ACCEPT2(a, b)      RECV_ACCEPT(a, b, 0) RECV_ACCEPT(a, b, 1)
#define RESTARTS(a, p)          RESTART(a, p, 1) RESTART(a, p, 2) ROUND3(a, p)
#define ACCEPTOR(a) \
    RECV_PREPARE(a, 1) RECV_PREPARE(a, 2) RECV_PREPARE(a, 3) RECV_PREPARE(a, 4) \
    BALLOTS56(RECV_PREPARE, a) \
    RECV_ACCEPT2(a, 1) RECV_ACCEPT2(a, 2) RECV_ACCEPT2(a, 3) RECV_ACCEPT2(a, 4) \
    BALLOTS56(RECV_ACCEPT2, a) \
    RESTARTS(a, 1) RESTARTS(a, 2)

active proctype Network()
{
end:
    do
    ACCEPTOR(0)
    ACCEPTOR(1)
    ACCEPTOR(2)
    od
}

/* ================================================================
 * normalize(): state-space reduction, not part of the protocol.  Run at
 * the end of every step; it maps the state to a representative with the
 * same futures (up to renaming), so that equivalent states are stored
 * once.  Rules 1-5 apply to the correct model only (with BROKEN promised
 * no longer bars an ACCEPT, and their arguments rest on that); rule 6 to
 * both.  Each rule keeps every behaviour:
 *
 * 1. Failed phase 1.  A proposer whose phase 1 can no longer reach a
 *    quorum (PROMISEs counted + acceptors with promised below its ballot
 *    < 2; neither ever grows) can only restart: it gives up (PHASE2
 *    without ACCEPTs), which has exactly that future.
 * 2. Idle promises.  Acceptor a's promise m is only ever compared with
 *    the ballots of messages a may still act on: ballots not started yet
 *    or in phase 1 (their PREPAREs), and ACCEPTs a has not taken.  If the
 *    lowest such ballot >= m is b, a PREPARE of a ballot between m and b
 *    can only raise a's promise (nobody counts its PROMISE any more) and
 *    a can take no ACCEPT below b, so promised = m and promised = b - 1
 *    have the same futures: promised is raised to b - 1 (to NB if there
 *    is no such ballot).
 * 3. Accepted entries nobody will read.  An accepted entry below the
 *    promise is read only by a PROMISE that some proposer still counts,
 *    i.e. for a ballot above the promise that is not started yet or in
 *    phase 1.  With none left, such entries are cleared (an entry equal to
 *    the promise stays: it stops a second vote for the same ACCEPT).
 * 4. Dead ACCEPTs.  Once no acceptor can take ACCEPT(b, s) any more (each
 *    one has promised above b, or holds (b, s) already; both last, since
 *    promised never goes down and an acceptor leaves (b, s) only for a
 *    higher ballot), the votes for (b, s) can no longer change: they have
 *    been counted (chosen, learned) and are cleared, and the ACCEPT
 *    itself is dropped unless an acceptor still holds its value or a
 *    counted PROMISE reports it.
 * 5. Votes for the chosen value (not with KEEP_LEARNED).  Once
 *    chosen[s] = v, a quorum for (b, s, v) only re-checks that v is the
 *    chosen value and lets b's proposer learn v, which is checked to be
 *    chosen[s] anyway; so the votes of every ballot proposing v for s are
 *    not counted any more (kept at 0).  A quorum for another value is
 *    still counted and still violates property 1.
 * 6. Symmetry.  Nothing in the protocol tells the acceptors apart (a
 *    quorum is any two), nor the slots (each step treats slots alike and
 *    value 10p+s only ever meets values of slot s), and the properties
 *    mention neither.  So renaming acceptors (3! ways) and swapping the
 *    slots (mapping value 10p+s to 10p+(1-s)) gives a state with the same
 *    futures, renamed.  The state is replaced by a representative of its
 *    class of 12 renamings that depends on the class only (the least one
 *    byte-wise; in the correct model an acceptor owns nothing but
 *    (promised, accB[*]), so sorting the acceptors by that reaches it),
 *    so equivalent states meet.
 *
 * The rules run in the order 1-6: none of them undoes what an earlier
 * one relies on, so a representative is its own representative (running
 * them twice per step stores exactly as many states).
 * ================================================================ */

c_code {
typedef struct {
    uchar promised[NA];
    uchar accB[NA * NS];
    uchar acceptSent[(NB + 1) * NS];
    uchar acceptedFrom[(NB + 1) * NS];
    uchar chosen[NS];
#ifdef KEEP_LEARNED
    uchar learned[NP * NS];
#endif
    uchar pRecB[NP * NS];
} SymPart;

static const int perm3[6][3] = {
    {0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}
};

#define RELABEL(v, sw)  ((v) ? ((v) ^ (sw)) : 0)   /* 10p+s <-> 10p+(1-s) */

static void
sym_get(SymPart *x)
{
    memcpy(x->promised, now.promised, sizeof x->promised);
    memcpy(x->accB, now.accB, sizeof x->accB);
    memcpy(x->acceptSent, now.acceptSent, sizeof x->acceptSent);
    memcpy(x->acceptedFrom, now.acceptedFrom, sizeof x->acceptedFrom);
    memcpy(x->chosen, now.chosen, sizeof x->chosen);
#ifdef KEEP_LEARNED
    memcpy(x->learned, now.learned, sizeof x->learned);
#endif
    memcpy(x->pRecB, now.pRecB, sizeof x->pRecB);
}

static void
sym_put(const SymPart *x)
{
    memcpy(now.promised, x->promised, sizeof x->promised);
    memcpy(now.accB, x->accB, sizeof x->accB);
    memcpy(now.acceptSent, x->acceptSent, sizeof x->acceptSent);
    memcpy(now.acceptedFrom, x->acceptedFrom, sizeof x->acceptedFrom);
    memcpy(now.chosen, x->chosen, sizeof x->chosen);
#ifdef KEEP_LEARNED
    memcpy(now.learned, x->learned, sizeof x->learned);
#endif
    memcpy(now.pRecB, x->pRecB, sizeof x->pRecB);
}

/* out = in with acceptor pa[i] renamed i and, if sw, the slots swapped */
static void
sym_apply(const SymPart *in, SymPart *out, const int *pa, int sw)
{
    int i, b, s, p;

    memset(out, 0, sizeof *out);
    for (i = 0; i < NA; i++) {
        out->promised[i] = in->promised[pa[i]];
        for (s = 0; s < NS; s++)
            out->accB[AS(i, s)] = in->accB[AS(pa[i], s ^ sw)];
    }
    for (b = 0; b <= NB; b++)
        for (s = 0; s < NS; s++) {
            uchar v = in->acceptedFrom[BS(b, s ^ sw)];
            out->acceptSent[BS(b, s)] = RELABEL(in->acceptSent[BS(b, s ^ sw)], sw);
#ifdef BROKEN
            {   /* a bitmask of acceptors: rename its bits */
                uchar m = 0;
                for (i = 0; i < NA; i++)
                    if (v & (1 << pa[i]))
                        m |= (uchar)(1 << i);
                v = m;
            }
#endif
            out->acceptedFrom[BS(b, s)] = v;
        }
    for (s = 0; s < NS; s++)
        out->chosen[s] = RELABEL(in->chosen[s ^ sw], sw);
    for (p = 1; p <= NP; p++)
        for (s = 0; s < NS; s++) {
#ifdef KEEP_LEARNED
            out->learned[PS(p, s)] = RELABEL(in->learned[PS(p, s ^ sw)], sw);
#endif
            out->pRecB[PS(p, s)] = in->pRecB[PS(p, s ^ sw)];
        }
}

#ifndef BROKEN
static int
can_take(int a, int b, int s)   /* CAN_TAKE of the correct model */
{
    return now.accB[AS(a, s)] != b && b >= now.promised[a];
}

static int
dead(int b, int s)
{
    int a;
    for (a = 0; a < NA; a++)
        if (can_take(a, b, s))
            return 0;
    return 1;
}

/* a ballot acceptor a may still have to compare with its promise */
static int
relevant(int a, int b)
{
    int p = OWNER(b), s;

    if (b > now.pBallot[p - 1])
        return 1;                       /* not started yet */
    if (b == now.pBallot[p - 1] && now.pPhase[p - 1] == PHASE1)
        return 1;                       /* PROMISEs awaited, ACCEPTs to come */
    for (s = 0; s < NS; s++)
        if (now.acceptSent[BS(b, s)] && now.accB[AS(a, s)] != b)
            return 1;                   /* an ACCEPT a has not taken */
    return 0;
}

static void
collect(void)
{
    int a, b, s, p, used;

    /* Rule 1: failed phase 1 */
    for (p = 1; p <= NP; p++) {
        b = now.pBallot[p - 1];
        if (now.pPhase[p - 1] == PHASE1) {
            int could = now.pPromises[p - 1];
            for (a = 0; a < NA; a++)
                if (now.promised[a] < b)
                    could++;
            if (could < QUORUM) {
                now.pPhase[p - 1] = PHASE2;
                now.pPromises[p - 1] = 0;
                for (s = 0; s < NS; s++)
                    now.pRecB[PS(p, s)] = 0;
            }
        }
    }
    /* Rule 2: idle promises */
    for (a = 0; a < NA; a++) {
        int m = now.promised[a], top = NB;
        for (b = (m > 1 ? m : 1); b <= NB; b++)
            if (relevant(a, b)) {
                top = b - 1;
                break;
            }
        if (top > m)
            now.promised[a] = (uchar)top;
    }
    /* Rule 3: accepted entries nobody will read */
    for (a = 0; a < NA; a++) {
        int future = 0;
        for (b = now.promised[a] + 1; b <= NB; b++)
            if (b > now.pBallot[OWNER(b) - 1] ||
                (b == now.pBallot[OWNER(b) - 1] && now.pPhase[OWNER(b) - 1] == PHASE1))
                future = 1;
        if (!future)
            for (s = 0; s < NS; s++)
                if (now.accB[AS(a, s)] != now.promised[a])
                    now.accB[AS(a, s)] = 0;
    }
    /* Rule 4: dead ACCEPTs */
    for (b = 1; b <= NB; b++)
        for (s = 0; s < NS; s++) {
            if (!dead(b, s))
                continue;
            now.acceptedFrom[BS(b, s)] = 0;
            used = 0;
            for (a = 0; a < NA; a++)
                if (now.accB[AS(a, s)] == b)
                    used = 1;
            for (p = 1; p <= NP; p++)
                if (now.pPhase[p - 1] == PHASE1 && now.pPromises[p - 1] &&
                    now.pRecB[PS(p, s)] == b)
                    used = 1;
            if (!used)
                now.acceptSent[BS(b, s)] = 0;
        }
#ifndef KEEP_LEARNED
    /* Rule 5: votes for the chosen value */
    for (b = 1; b <= NB; b++)
        for (s = 0; s < NS; s++)
            if (now.chosen[s] && now.acceptSent[BS(b, s)] == now.chosen[s])
                now.acceptedFrom[BS(b, s)] = 0;
#endif
}
#endif

#ifndef BROKEN
/* the renaming of acceptors that sorts them by their own data (promised,
 * then accepted ballots in slot order after the swap): in the correct
 * model that is all an acceptor has of its own, so sorting reaches the
 * same order from every renaming */
static void
sort_acceptors(int sw, int *pa)
{
    int k[NA], i, j, t;

    for (i = 0; i < NA; i++) {
        pa[i] = i;
        k[i] = now.promised[i] * 256 + now.accB[AS(i, sw)] * 16 + now.accB[AS(i, 1 - sw)];
    }
    for (i = 1; i < NA; i++)
        for (j = i; j > 0 && k[pa[j - 1]] > k[pa[j]]; j--) {
            t = pa[j]; pa[j] = pa[j - 1]; pa[j - 1] = t;
        }
}
#endif

/* With `./pan -r` (replaying a counterexample), print the state after
 * each step: acceptors "promised/accepted ballot per slot", the ACCEPTs in
 * the network "ballot:value per slot", vote counts, proposers "ballot,
 * phase, PROMISEs counted", chosen values.  Acceptors and slots are shown
 * in the order normalize() gives them, which may differ from step to step
 * (and normalize() does nothing of rules 1-5 in the BROKEN variant). */
extern int readtrail;

static void
show_state(void)
{
    int a, b, p;

    printf("    acceptors");
    for (a = 0; a < NA; a++)
        printf(" %d/%d,%d", now.promised[a], now.accB[AS(a, 0)], now.accB[AS(a, 1)]);
    printf("  ACCEPTs");
    for (b = 1; b <= NB; b++)
        if (now.acceptSent[BS(b, 0)] || now.acceptSent[BS(b, 1)])
            printf(" %d:%d,%d", b, now.acceptSent[BS(b, 0)], now.acceptSent[BS(b, 1)]);
    printf("  votes");
    for (b = 1; b <= NB; b++)
        if (now.acceptedFrom[BS(b, 0)] || now.acceptedFrom[BS(b, 1)])
            printf(" %d:%d,%d", b, now.acceptedFrom[BS(b, 0)], now.acceptedFrom[BS(b, 1)]);
    printf("  proposers");
    for (p = 1; p <= NP; p++)
        printf(" %d:b%d,%s,%d", p, now.pBallot[p - 1],
               now.pPhase[p - 1] == PHASE1 ? "ph1" : "ph2", now.pPromises[p - 1]);
    printf("  chosen %d,%d\n", now.chosen[0], now.chosen[1]);
}

static void
normalize(void)
{
    SymPart cur, best, cand;
    int k, sw;

#ifndef BROKEN
    collect();
    sym_get(&cur);
    for (sw = 0; sw < NS; sw++) {
        int pa[NA];
        sort_acceptors(sw, pa);
        sym_apply(&cur, &cand, pa, sw);
        if (sw == 0 || memcmp(&cand, &best, sizeof cand) < 0)
            best = cand;
    }
#else
    /* acceptors also differ by their vote bits here: try all renamings */
    sym_get(&cur);
    best = cur;
    for (sw = 0; sw < NS; sw++)
        for (k = 0; k < 6; k++) {
            sym_apply(&cur, &cand, perm3[k], sw);
            if (memcmp(&cand, &best, sizeof cand) < 0)
                best = cand;
        }
#endif
    sym_put(&best);
    if (readtrail)
        show_state();
}
}
