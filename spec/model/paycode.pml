/*
 * paycode v3: the replay and clock rules (spec §2.4, §7.4 H2 and C1-C5, §8),
 * as a Promela model for Spin. See README.md for what is modelled, the bounds,
 * why the reduction is sound, and how to run it.
 *
 * One identity (hmac account or ed25519 serial). A wallet generates codes
 * (step, counter) with counters that only grow and a clock that may be off by
 * up to DRIFT steps either way; an attacker presents any code it has seen,
 * as often and in whatever order it likes, and (hmac, -DTHROTTLE) codes with
 * a wrong tag; the verifier's clock moves forward and back; the verifier
 * keeps T_hw, the quarantine floor Q, the entry (H, bitmap, top), the
 * counter mark K and (-DTHROTTLE) the throttle record; entries are evicted
 * at any time their guard allows; the verifier restarts with its durable
 * state or after losing it.
 *
 * Ghost state records every acceptance. The assertions check:
 *   R-REPLAY-1  no code, and so no (identity, counter), is accepted twice,
 *               also across evictions and restarts;
 *   R-REPLAY-2  `replayed` only for a counter that was accepted, and the
 *               fixed-size entry records exactly the counters accepted within
 *               W of H (so no per-counter memory is needed);
 *   R-TIME-4    no false rejection: an honest code not accepted before, whose
 *   R-REPLAY-2  step is in [L, U] and at least Q, whose counter is not W or
 *               more below the highest counter of the live entry, and (with
 *               the throttle) that is not throttled, and not behind the
 *               mark, is accepted;
 *   R-REPLAY-6  the entry's top never exceeds T_hw + F, so an identity idle
 *               for B + F + 1 steps of T_hw is evictable: state is bounded;
 *   R-REPLAY-5  neither kind of restart opens a replay hole;
 *   R-HMAC-6    (-DTHROTTLE) at most MAXFAIL invalid-code verdicts while the
 *   R-STATE-6   clock stays in one step, across restarts with state;
 *   R-REPLAY-7  K, when the verifier has one, is the highest counter
 *               accepted since the state was last lost and that code's step;
 *               no code made in advance (a counter below the highest one
 *               accepted, with a step after that code's) is accepted, also
 *               after eviction and restarts with state.
 *
 * Every action prints one line that starts with "ACT ", which
 * spec/model/trails.sh turns into the runs the Rust verifier replays.
 *
 * Broken variants, each of which Spin must refute:
 *   -DEVICT_EARLY       evict when top <= L instead of top < L;
 *   -DRESTART_ANY_TIME  restart after state loss with the clock behind T_hw
 *                       (the assumption of §8.6 dropped);
 *   -DFORWARD_EDGE      reject step U as too-new (an over-rejection);
 *   -DSHIFT_MOD_W       shift the bitmap by (c - H) mod W, as a W-bit
 *                       register does, without the c - H >= W case of §8.3;
 *   -DTHROTTLE_VOLATILE (with -DTHROTTLE) the throttle record is not part of
 *                       the durable state;
 *   -DMARK_UNCHECKED    K is kept but never checked;
 *   -DMARK_EVICTED      K goes with the entry when it is evicted.
 * And one claim the counter mark does not make (-DMARK_ANY_HIGHER): that a
 * code is never accepted after any higher counter with an earlier step.
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
#ifndef MAXFAIL
#define MAXFAIL 2       /* invalid-code verdicts per step before throttled (8 in the spec) */
#endif

#if W < 2 || W > 7
#error "W must be 2..7: the bitmap is kept in a byte"
#endif

#define MASK ((1 << W) - 1)
#define MAX(a, b) ((a) > (b) -> (a) : (b))
#define LOW (MAX(thw, B) - B)           /* L = T_hw ⊖ B (after the V0 update) */

/* U = s_now + F (R-TIME-4), with s_now the step of the verifier time
 * max(t, φ) (R-TIME-8): φ is at least the start of the high-water step, so
 * after the V0 update s_now = max(now, T_hw) = T_hw. */
#ifdef FORWARD_EDGE
#define HIGH (thw + F - 1)              /* broken: U itself is too new */
#else
#define HIGH (thw + F)
#endif

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

#ifdef MARK_UNCHECKED
#define MARK_CHECKED false              /* broken: the rule missing */
#else
#define MARK_CHECKED true
#endif

/* The verdicts; trails.sh writes them with '-' for '_'. */
mtype = { accepted, too_old, too_new, state_unavailable, stale_counter, replayed,
          counter_behind, throttled, invalid_code };

/* Verdict bits for a WITNESS goal, e.g. -DWITNESS=SEEN_REPLAYED+SEEN_TOO_OLD */
#define SEEN_ACCEPTED (1 << accepted)
#define SEEN_TOO_OLD (1 << too_old)
#define SEEN_TOO_NEW (1 << too_new)
#define SEEN_STATE_UNAVAILABLE (1 << state_unavailable)
#define SEEN_STALE_COUNTER (1 << stale_counter)
#define SEEN_REPLAYED (1 << replayed)
#define SEEN_COUNTER_BEHIND (1 << counter_behind)
#define SEEN_THROTTLED (1 << throttled)
#define SEEN_INVALID_CODE (1 << invalid_code)

/* First failing check decides: each check runs only while the verdict is still accepted. */
#define CHECK(cond, verdict) if :: v == accepted && (cond) -> v = verdict :: else -> skip fi

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
byte ebm;                       /* bitmap, W bits: bit k set = counter H - k accepted */
byte etop;                      /* top */
bool kset;                      /* K = (H*, S*) exists: a counter was accepted */
byte kh;                        /* H*, the highest counter accepted */
byte ks;                        /* S*, the step of that code */
#ifdef THROTTLE
byte thstep;                    /* Θ: the step the record counts in ... */
byte thn;                       /* ... and the attempts reserved in it; (0, 0) = no record */
#endif

/* The durable snapshot, written before every `accepted` and, with the
 * throttle, at every invalid-code (R-REPLAY-5 mode 1, R-STATE-6). Between two
 * writes only two things change the state: rejected calls raise T_hw (and
 * clear a throttle record of another step), and eviction removes the entry.
 * So the snapshot is T_hw, whether the entry existed, the throttle record
 * and K; an evicted entry keeps its fields (and its ghost epoch) while the
 * snapshot still holds it. Q changes only at a restart after state loss,
 * which writes a new snapshot, so the snapshot's Q is always q. */
byte sthw;
bool spresent;
bool skset;
byte skh;
byte sks;
#ifdef THROTTLE
byte sthstep;
byte sthn;
#endif

byte restarts;

/* Ghost state. */
bool used[NCODES];              /* code i was accepted, ever */
bool epoch[NCODES];             /* code i was accepted into the current entry */
bool ghset;                     /* the highest counter accepted since state was last lost ... */
byte ghc;
byte ghs;                       /* ... and its step */
#ifdef THROTTLE
byte gfail;                     /* invalid-code verdicts since the clock last moved or state was lost */
#endif
#ifdef MARK_ANY_HIGHER
bool kept[NCODES];              /* code i was accepted since state was last lost */
#endif
#ifdef WITNESS
byte nacc;                      /* acceptances so far */
short vseen;                    /* bit v set: verdict v was returned */
#endif

/* Scratch, not part of the state vector. */
hidden byte s, c, low, d, j, k;
hidden byte gh, gt;
hidden byte live, found, gany, glive, owed, held, again, ahead;   /* booleans */
hidden mtype v;

inline clear_epoch() {
    j = 0;
    do
    :: j < NCODES -> epoch[j] = false; j++
    :: else -> break
    od;
    skip
}

/* The entry as the ghost record has it: the highest counter (gh) and step
 * (gt) among the codes accepted into it (gany: there is one). */
inline ghost_entry() {
    gany = false; gh = 0; gt = 0;
    j = 0;
    do
    :: j < NCODES ->
        if
        :: epoch[j] ->
            gany = true;
            gh = MAX(gh, ccounter[j]);
            gt = MAX(gt, cstep[j])
        :: else -> skip
        fi;
        j++
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
        ghost_entry();
        assert(gany && eh == gh && etop == gt);     /* H and top are the ghost's */
        j = 0;
        do
        :: j < gen ->
            if
            :: epoch[j] ->
                assert(used[j] && ccounter[j] <= eh);
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
    :: j < NCODES -> assert(!epoch[j] || used[j]); j++
    :: else -> break
    od;
    /* K, when there is one, is the ghost's highest counter and its step. That
     * K is there when it must be (it survives eviction and restart with
     * state) is asserted through the verdicts: no code made in advance is
     * accepted. So a K lost with its entry shows as the acceptance it lets
     * through, which the implementation can be replayed against. */
    assert(!kset || (ghset && kh == ghc && ks == ghs));
#ifdef THROTTLE
    assert(thn <= MAXFAIL && (thn > 0 || thstep == 0));
#endif
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
    spresent = present;
    skset = kset; skh = kh; sks = ks;
#ifdef THROTTLE
    sthstep = thstep; sthn = thn;
#endif
    skip
}

/* V0 for a call that decodes to nothing of this identity: another identity's
 * code, or undecodable text. It still raises T_hw (R-TIME-5). */
inline observe() {
    thw = MAX(thw, now)
}

#ifdef THROTTLE
/* H2: whether this account's attempts of step now are used up (R-HMAC-6). */
#define THROTTLED (thstep == now && thn >= MAXFAIL)
#endif

/* No false rejection (R-TIME-4, R-REPLAY-2): the premise, written from the
 * spec's text and the ghost record, not from the checks above. An honest
 * code (counters are unique) that was never accepted is owed `accepted` when
 * L <= step <= U (L = T_hw ⊖ B after V0, so step + B >= T_hw), step >= Q, and
 * its counter is not W or more below the highest counter of the live entry.
 * Evaluated on the state before the call's effects. */
inline owed_acceptance(i) {
    ghost_entry();
    glive = present && gany && gt + B >= thw;
    owed = !used[i] && s + B >= thw && s <= now + F && s >= q;
    owed = owed && !(glive && c + W <= gh);
    owed = owed && !(ghset && c <= ghc && s > ghs);
#ifdef THROTTLE
    owed = owed && !THROTTLED;
#endif
    skip
}

/* C5: record counter c of step s for code i (spec §8.3). */
inline record(i) {
#ifdef MARK_ANY_HIGHER
    kept[i] = true;
#endif
    used[i] = true;
    if
    :: !live ->
        forget_entry();
        present = true; eh = c; ebm = 1; etop = s
    :: else ->
        if
        :: c > eh ->
            d = c - eh;
#ifdef SHIFT_MOD_W
            ebm = ((ebm << (d % W)) & MASK) | 1;    /* broken: a W-bit shift's count is taken mod W */
#else
            if
            :: d >= W -> ebm = 0
            :: else -> ebm = (ebm << d) & MASK
            fi;
            ebm = ebm | 1;
#endif
            eh = c
        :: else -> ebm = ebm | (1 << (eh - c))
        fi;
        etop = MAX(etop, s)
    fi;
    epoch[i] = true;
    if
    :: !kset || c > kh -> kset = true; kh = c; ks = s     /* R-REPLAY-7 */
    :: else -> skip
    fi;
    if
    :: !ghset || c > ghc -> ghset = true; ghc = c; ghs = s
    :: else -> skip
    fi;
    write_snapshot()
}

/* Not a property: a goal, for the runs the Rust verifier replays
 * (trails.sh). Spin's "counterexample" to it is a run of the correct model
 * that has returned every verdict in the mask WITNESS (bit v for verdict v)
 * and accepted at least WITNESS_AFTER codes (-DWITNESS_FULL: and whose entry
 * then holds W counters). */
inline witness() {
#ifdef WITNESS
    vseen = vseen | (1 << v);
    if
    :: v == accepted -> nacc++
    :: else -> skip
    fi;
#ifdef WITNESS_FULL
    /* and with every bit of the entry's bitmap set */
    assert(!((vseen & (WITNESS)) == (WITNESS) && nacc >= WITNESS_AFTER && present && ebm == MASK));
#else
    assert(!((vseen & (WITNESS)) == (WITNESS) && nacc >= WITNESS_AFTER));
#endif
#endif
    skip
}

/* One verify call for code i at the current clock (spec §7.4 V0, H2, C1-C5).
 * The call's line is printed before its assertions are checked, so that a
 * counterexample ends with the call that broke one. */
inline verify(i) {
    observe();
    low = LOW;
    s = cstep[i];
    c = ccounter[i];
    live = present && etop >= low;                  /* R-REPLAY-4: else absent */
    v = accepted;
#ifdef THROTTLE
    CHECK(THROTTLED, throttled);                    /* H2 */
#endif
    CHECK(s < low, too_old);                        /* C1 */
    CHECK(s > HIGH, too_new);
    CHECK(s < q, state_unavailable);                /* C2 */
    CHECK(live && c + W <= eh, stale_counter);      /* C3 */
    CHECK(live && c <= eh && ((ebm >> (eh - c)) & 1), replayed);
    CHECK(MARK_CHECKED && kset && c <= kh && s > ks, counter_behind);   /* R-REPLAY-7 */
    owed_acceptance(i);
    again = used[i];
    /* made in advance: a counter below the highest accepted, with a step
     * after that code's */
    ahead = ghset && c < ghc && s > ghs;
#ifdef MARK_ANY_HIGHER
    found = false;
    j = 0;
    do
    :: j < NCODES ->
        if
        :: kept[j] && ccounter[j] > c && cstep[j] < s -> found = true
        :: else -> skip
        fi;
        j++
    :: else -> break
    od;
#endif
#ifdef THROTTLE
    /* H3: the tag is right, so the reserved attempt is returned; a record of
     * another step now counts nothing and goes. */
    if
    :: v != throttled && thstep != now -> thstep = 0; thn = 0
    :: else -> skip
    fi;
#endif
    if
    :: v == accepted -> record(i)
    :: else -> skip
    fi;
    printf("ACT verify code=%d clock=%d verdict=%e entry=%d high=%d bitmap=%d top=%d\n", i, now, v, present, eh, ebm, etop);
    assert(v != accepted || !again);                /* R-REPLAY-1 */
    assert(v != replayed || again);                 /* replayed: never a lie */
    assert(v == accepted || !owed);                 /* no false rejection */
    assert(v != accepted || !ahead);                /* no code made in advance */
#ifdef MARK_ANY_HIGHER
    assert(v != accepted || !found);                /* not a claim of the rule */
#endif
    witness();
    skip
}

#ifdef THROTTLE
/* A code of this account with a wrong tag (H2, H3): the attempt reserved at
 * H2 stays reserved. The call's changes are made durable with its verdict
 * (R-STATE-6): T_hw and the throttle record. */
inline forge() {
    observe();
    if
    :: THROTTLED -> v = throttled
    :: else ->
        v = invalid_code;
        if
        :: thstep != now -> thstep = now; thn = 1
        :: else -> thn++
        fi;
        gfail++;
#ifndef THROTTLE_VOLATILE
        sthw = thw; sthstep = thstep; sthn = thn;
#endif
        skip
    fi;
    printf("ACT forge clock=%d verdict=%e\n", now, v);
    witness();
    assert(gfail <= MAXFAIL)                        /* R-HMAC-6 */
}
#endif

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
        printf("ACT gen code=%d step=%d counter=%d\n", gen, cstep[gen], ccounter[gen]);
        gen++;
        step = 0; gap = 0
       }
    od
}

/* The attacker: presents any code seen so far, any number of times, in any
 * order; or anything else (another identity's code, junk) to move T_hw; or,
 * with the throttle, a code of this account with a wrong tag. */
active proctype Attacker() {
    byte i;
    do
    :: atomic {
        gen > 0 ->
        select(i : 0 .. gen - 1);
        v = accepted;       /* select's loop must not end at a d_step */
        d_step { verify(i); invariants() };
        i = 0
       }
    :: d_step { observe(); printf("ACT observe clock=%d\n", now); invariants() }
#ifdef THROTTLE
    :: d_step { forge(); invariants() }
#endif
    od
}

/* The verifier's clock: one step forward or one step back. A jump is a run
 * of such moves with no call in between, so every jump, by any amount and
 * either way, is covered. */
active proctype Clock() {
    do
    :: d_step {
        now < SMAX -> now++;
#ifdef THROTTLE
        gfail = 0;
#endif
        printf("ACT clock step=%d\n", now)
       }
    :: d_step {
        now > 0 -> now--;
#ifdef THROTTLE
        gfail = 0;
#endif
        printf("ACT clock step=%d\n", now)
       }
    od
}

/* The operator: evict(t) at the current clock (spec §8.4), which raises T_hw
 * and then removes what its guards allow; and restarts. */
active proctype Operator() {
    do
    :: d_step {
        observe();
        held = present && EVICTABLE;
        if
        :: held ->
            present = false;
#ifdef MARK_EVICTED
            kset = false; kh = 0; ks = 0;           /* broken: K goes with the entry */
#endif
            if
            :: !spresent -> forget_entry()
            :: else -> skip
            fi
        :: else -> skip
        fi;
#ifdef THROTTLE
        if
        :: thstep != now -> thstep = 0; thn = 0
        :: else -> skip
        fi;
#endif
        printf("ACT evict clock=%d removed=%d\n", now, held);
        invariants()
       }
    /* restart-with-state: the last durable snapshot comes back; what changed
     * since (T_hw raised by rejected calls, evictions) is lost. */
    :: d_step {
        restarts < RESTARTS ->
        restarts++;
        thw = sthw;
        present = spresent;
#ifdef THROTTLE
#ifdef THROTTLE_VOLATILE
        thstep = 0; thn = 0;                        /* broken: Θ was not durable */
#else
        thstep = sthstep; thn = sthn;
#endif
#endif
        kset = skset; kh = skh; ks = sks;
        printf("ACT restart-state clock=%d\n", now);
        invariants()
       }
    /* restart-lost-state at the current time, which (the spec's assumption)
     * is not behind any earlier call: T(t) >= T_hw. */
    :: d_step {
        restarts < RESTARTS && CLOCK_NOT_BACK ->
        restarts++;
        thw = now;
        q = now + F + 1;
        present = false;
        forget_entry();
        kset = false; kh = 0; ks = 0;
        ghset = false; ghc = 0; ghs = 0;
#ifdef THROTTLE
        thstep = 0; thn = 0; gfail = 0;
#endif
#ifdef MARK_ANY_HIGHER
        j = 0;
        do
        :: j < NCODES -> kept[j] = false; j++
        :: else -> break
        od;
#endif
        write_snapshot();
        printf("ACT restart-lost clock=%d\n", now);
        invariants()
       }
    od
}
