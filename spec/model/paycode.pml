/*
 * paycode v1: the replay and clock rules (spec §2.4, §7.4 C1-C5, §8), as a
 * Promela model for Spin. See README.md for what is modelled, the bounds,
 * why the reduction is sound, and how to run it.
 *
 * One identity (hmac account or ed25519 serial). A wallet generates codes
 * (step, counter) with counters that only grow and a clock that may be off by
 * up to DRIFT steps either way; an attacker presents any code it has seen,
 * as often and in whatever order it likes; the verifier's clock moves forward
 * and back; the verifier keeps T_hw, the quarantine floor Q and the entry
 * (H, bitmap, top); entries are evicted at any time their guard allows; the
 * verifier restarts with its durable state or after losing it.
 *
 * Ghost state records every acceptance. The assertions check:
 *   R-REPLAY-1  no code, and so no (identity, counter), is accepted twice,
 *               also across evictions and restarts;
 *   R-REPLAY-2  `replayed` only for a counter that was accepted, and the
 *               fixed-size entry records exactly the counters accepted within
 *               W of H (so no per-counter memory is needed);
 *   R-REPLAY-6  the entry's top never exceeds T_hw + F, so an identity idle
 *               for B + F + 1 steps of T_hw is evictable: state is bounded;
 *   R-REPLAY-5  neither kind of restart opens a replay hole.
 *
 * -DEVICT_EARLY builds the broken variant: an entry is evicted when
 * top <= L instead of top < L, one step too early. Spin must find a double
 * acceptance in it. -DRESTART_ANY_TIME drops the spec's assumption that the
 * clock did not go back across a restart after state loss (§8.6); Spin must
 * find a double acceptance in that too.
 */

#ifndef B
#define B 2             /* back window (spec default 2, range 0..8) */
#endif
#ifndef F
#define F 1             /* forward window (spec default 1, range 0..7) */
#endif
#ifndef W
#define W 2             /* replay bitmap width (64 in the spec; see README) */
#endif
#ifndef NCODES
#define NCODES 3        /* codes the wallet generates */
#endif
#ifndef SMAX
#define SMAX 5          /* the verifier clock reads steps 0..SMAX */
#endif
#ifndef DRIFT
#define DRIFT 3         /* wallet clock within DRIFT steps of the verifier's */
#endif
#ifndef RESTARTS
#define RESTARTS 2      /* restarts of either kind */
#endif

#define MASK ((1 << W) - 1)
#define MAX(a, b) ((a) > (b) -> (a) : (b))
#define LOW (MAX(thw, B) - B)           /* L = T_hw ⊖ B (after the V0 update) */

#ifdef EVICT_EARLY
#define EVICTABLE (etop <= LOW)         /* broken: one step too early */
#else
#define EVICTABLE (etop < LOW)          /* R-REPLAY-4 */
#endif

#ifdef RESTART_ANY_TIME
#define CLOCK_NOT_BACK true             /* broken: the spec's assumption dropped */
#else
#define CLOCK_NOT_BACK (now >= thw)     /* T(t) >= T_hw at restart-lost-state */
#endif

/* The wallet's codes, as the attacker sees them. */
byte gen;                       /* codes generated so far */
byte cstep[NCODES];
byte ccounter[NCODES];

/* Verifier state (spec §8.1) for the one identity. */
byte now;                       /* the verifier clock's current step */
byte thw;                       /* T_hw */
byte q;                         /* Q */
bool present;                   /* the identity has an entry */
byte eh;                        /* H */
byte ebm;                       /* bitmap: bit k set = counter H - k accepted */
byte etop;                      /* top */

/* The durable snapshot, written before every `accepted` (R-REPLAY-5 mode 1).
 * Between two snapshots only two things change: rejected calls raise T_hw,
 * and eviction removes the entry. So the snapshot is T_hw and whether the
 * entry existed; an evicted entry keeps its fields (and its ghost epoch)
 * while the snapshot still holds it. Q changes only at a restart after state
 * loss, which writes a new snapshot, so the snapshot's Q is always q. */
byte sthw;
bool spresent;

byte restarts;

/* Ghost state. */
bool accepted[NCODES];          /* code i was accepted, ever */
bool epoch[NCODES];             /* code i was accepted into the current entry */

/* Scratch, not part of the state vector. */
hidden byte s, c, low, d, j, k;
hidden byte live, found;

inline clear_epoch() {
    j = 0;
    do
    :: j < NCODES -> epoch[j] = false; j++
    :: else -> break
    od;
    skip
}

/* Checks that hold after every transition. */
inline invariants() {
    if
    :: present ->
        assert(ebm & 1);                            /* bit 0 is H itself */
        assert(etop <= thw + F);                    /* R-REPLAY-6 */
        j = 0;
        do
        :: j < gen ->
            if
            :: epoch[j] ->
                assert(accepted[j] && ccounter[j] <= eh);
                if
                :: eh - ccounter[j] < W -> assert((ebm >> (eh - ccounter[j])) & 1)
                :: else -> skip
                fi
            :: else ->
                if
                :: ccounter[j] <= eh && eh - ccounter[j] < W ->
                    assert(((ebm >> (eh - ccounter[j])) & 1) == 0)
                :: else -> skip
                fi
            fi;
            j++
        :: else -> break
        od;
        /* every set bit is an accepted code's counter */
        k = 0;
        do
        :: k < W ->
            if
            :: (ebm >> k) & 1 ->
                found = false;
                j = 0;
                do
                :: j < gen ->
                    if
                    :: epoch[j] && ccounter[j] + k == eh -> found = true
                    :: else -> skip
                    fi;
                    j++
                :: else -> break
                od;
                assert(found)
            :: else -> skip
            fi;
            k++
        :: else -> break
        od
    :: else -> skip
    fi;
    assert(!present || spresent);                   /* the snapshot holds the entry */
    assert(sthw <= thw);
    if
    :: !present && !spresent ->
        assert(eh == 0 && ebm == 0 && etop == 0);
        j = 0;
        do
        :: j < NCODES -> assert(!epoch[j]); j++
        :: else -> break
        od
    :: else -> skip
    fi;
    j = 0;
    do
    :: j < NCODES -> assert(!epoch[j] || accepted[j]); j++
    :: else -> break
    od;
    skip    /* a d_step must not end in a loop's break */
}

/* An entry that neither the state nor the snapshot holds is zeroed, so that
 * equal states compare equal. */
inline forget_entry() {
    eh = 0; ebm = 0; etop = 0;
    clear_epoch()
}

inline write_snapshot() {
    sthw = thw;
    spresent = present
}

/* V0 for a call that decodes to nothing of this identity: another identity's
 * code, or undecodable text. It still raises T_hw (R-TIME-5). */
inline observe() {
    thw = MAX(thw, now)
}

/* One verify call for code i at the current clock (spec §7.4 V0, C1-C5). */
inline verify(i) {
    observe();
    low = LOW;
    s = cstep[i];
    c = ccounter[i];
    if
    :: s < low -> printf("verdict: too-old\n")
    :: else ->
        if
        :: s > now + F -> printf("verdict: too-new\n")
        :: else ->
            if
            :: s < q -> printf("verdict: state-unavailable\n")
            :: else ->
                live = present && etop >= low;              /* R-REPLAY-4: else absent */
                if
                :: live && c + W <= eh -> printf("verdict: stale-counter\n")
                :: live && c <= eh && c + W > eh && ((ebm >> (eh - c)) & 1) ->
                    printf("verdict: replayed\n");
                    assert(accepted[i])                     /* replayed: never a lie */
                :: else ->
                    printf("verdict: accepted\n");
                    /* C5 */
                    assert(!accepted[i]);                   /* R-REPLAY-1 */
                    accepted[i] = true;
                    if
                    :: !live ->
                        forget_entry();
                        present = true; eh = c; ebm = 1; etop = s
                    :: else ->
                        assert(c != eh);
                        if
                        :: c > eh ->
                            d = c - eh;
                            if
                            :: d >= W -> ebm = 1
                            :: else -> ebm = ((ebm << d) | 1) & MASK
                            fi;
                            eh = c
                        :: else -> ebm = ebm | (1 << (eh - c))
                        fi;
                        etop = MAX(etop, s)
                    fi;
                    epoch[i] = true;
                    write_snapshot()
                fi
            fi
        fi
    fi
}

/* The wallet: each code takes the next counter, or skips W - 1 counters
 * (counters lost in a crash, R-GEN-1); its step is the wallet clock's,
 * anywhere within DRIFT of the verifier's clock. */
active proctype Wallet() {
    byte step, gap;
    do
    :: atomic {
        gen < NCODES ->
        select(step : MAX(now, DRIFT) - DRIFT .. now + DRIFT);
        if
        :: gap = 1
        :: gen > 0 -> gap = W
        fi;
        cstep[gen] = step;
        ccounter[gen] = (gen == 0 -> 0 : ccounter[gen - 1] + gap);
        printf("wallet: code %d = (step %d, counter %d)\n", gen, cstep[gen], ccounter[gen]);
        gen++;
        step = 0; gap = 0
       }
    od
}

/* The attacker: presents any code seen so far, any number of times, in any
 * order; or anything else (another identity's code, junk) to move T_hw. */
active proctype Attacker() {
    byte i;
    do
    :: atomic {
        gen > 0 ->
        select(i : 0 .. gen - 1);
        printf("present code %d at step %d\n", i, now);
        d_step { verify(i); invariants() };
        i = 0
       }
    :: d_step { observe(); invariants() }
    od
}

/* The verifier's clock: one step forward or one step back. A jump is a run
 * of such moves with no call in between, so every jump, by any amount and
 * either way, is covered. */
active proctype Clock() {
    do
    :: d_step { now < SMAX -> now++; printf("clock: step %d\n", now) }
    :: d_step { now > 0 -> now--; printf("clock: back to step %d\n", now) }
    od
}

/* The operator: eviction whenever its guard holds, and restarts. */
active proctype Operator() {
    do
    :: d_step {
        present && EVICTABLE ->
        printf("evict (top %d, L %d)\n", etop, LOW);
        present = false;
        if
        :: !spresent -> forget_entry()
        :: else -> skip
        fi;
        invariants()
       }
    /* restart-with-state: the last durable snapshot comes back; what changed
     * since (T_hw raised by rejected calls, evictions) is lost. */
    :: d_step {
        restarts < RESTARTS ->
        restarts++;
        printf("restart with state at step %d\n", now);
        thw = sthw;
        present = spresent;
        invariants()
       }
    /* restart-lost-state at the current time, which (the spec's assumption)
     * is not behind any earlier call: T(t) >= T_hw. */
    :: d_step {
        restarts < RESTARTS && CLOCK_NOT_BACK ->
        restarts++;
        printf("restart after state loss at step %d\n", now);
        thw = now;
        q = now + F + 1;
        present = false;
        forget_entry();
        write_snapshot();
        invariants()
       }
    od
}
