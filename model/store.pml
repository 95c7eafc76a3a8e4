/*
 * store.pml: the warm-tier store's concurrency protocol (store/, as of
 * main 0026591) as a Promela model for spin. See README.md.
 *
 * Bounded domains (fixed here, exhaustive within them):
 *   ids      A=1, B=2, each in its own index shard (shard = id)
 *   slots    4 (blocks.dat), slot numbers 0..3
 *   epochs   2 (content.0.dat, content.1.dat: one compaction)
 *   content  6 cells per epoch; every content is one cell, whose value is
 *            the tag of the memory and version that wrote it (TAG(id,ver))
 *   versions A is written twice (versions 1, 2) then removed; B once
 *   processes WriterA, WriterB, Reader, Compactor, GroupCommit (2 Syncs),
 *            Final (checks the end state)
 *
 * Seeded bugs (store/bugs.go), one -D each:
 *   SLOT_RACE, CONTENT_OFFSET_RACE, COMPACTION_SWAP_WINDOW,
 *   COMPACTION_LOST_STORE, UNLOCKED_ACTIVATION, INDEX_BEFORE_BLOCK
 *
 * Atomicity: one Promela statement is one Go atomic operation or one step
 * the Go code does under a lock that no other step of the model observes
 * half done (d_step). A critical section whose data only that lock guards
 * (free list, pending frees) is one d_step; shard locks and syncMu are
 * explicit, because other steps run while they are held.
 */

#define NIDS   3   /* ids 1..2; 0 unused */
#define NSLOTS 4
#define NCELL  6
#define TAG(id, v) ((id) * 4 + (v))
#define IDA 1
#define IDB 2

/* index.go shard: m[id] (slot+1, 0 = absent), version, RWMutex */
byte ixslot[NIDS];
byte ixver[NIDS];
byte shw[NIDS];          /* shard write-locked */
byte shr[NIDS];          /* shard readers */

/* blocks.dat record headers (and slotmeta.go's copy, kept equal) */
byte hid[NSLOTS];        /* 0: never written */
byte hver[NSLOTS];
byte hep[NSLOTS];
byte hoff[NSLOTS];
byte hact[NSLOTS];
byte hseq[NSLOTS];
bit  hlive[NSLOTS];

/* content.go: content cells of both epochs, tails, in-flight Put counts */
byte content[2 * NCELL];
byte tail[2];
byte inflight[2];
/* content.go epochSet, replaced wholesale through Store.epochs */
byte cur;                /* current (append) epoch */
bit  has0 = 1;           /* content.0.dat in the set */
bit  has1;               /* content.1.dat in the set */
bit  alias;              /* aliasOld: older epochs resolve to cur */

/* alloc.go allocator and pendingFree */
byte nextSlot;
byte freeCount;
byte freeMask;
byte pendSup;
byte pendRem;

bit  syncMu;
byte seq;

/* observation, for the properties */
byte retA;               /* last version of A whose Put returned */
bit  remInvA;            /* Remove(A) invoked */
byte actB;               /* activation of B whose update returned */
byte done;               /* finished client processes */

#if defined(WITH_READER) && defined(WITH_GROUP_COMMIT)
#define NCLIENTS 5
#elif defined(WITH_READER) || defined(WITH_GROUP_COMMIT)
#define NCLIENTS 4
#else
#define NCLIENTS 3
#endif

/* ---------- locks (sched.RWMutex of a shard; syncMu) ---------- */
inline wlock(i)   { atomic { shw[i] == 0 && shr[i] == 0 -> shw[i] = 1 } }
inline wunlock(i) { shw[i] = 0 }
inline rlock(i)   { atomic { shw[i] == 0 -> shr[i]++ } }
inline runlock(i) { shr[i]-- }
inline synclock() { atomic { syncMu == 0 -> syncMu = 1 } }

/* content.go epochSet.lookup on one load of Store.epochs: ge is the epoch
 * whose file is read, or 255 if the epoch is gone (ErrCorrupt). */
inline lookup(e, ge) {
  d_step {
    if
    :: e == cur -> ge = cur
    :: else ->
       if
       :: alias -> ge = cur
       :: !alias && e == 0 && has0 -> ge = 0
       :: !alias && e == 1 && has1 -> ge = 1
       :: else -> ge = 255
       fi
    fi
  }
}

/* ---------- Put: store.go Put/put, alloc.go alloc, content.go ---------- */
inline put(id, v) {
  /* content.go acquireEpoch */
  do
  :: cf = cur; inflight[cf]++;
     if
     :: cur == cf -> break
     :: else -> inflight[cf]--
     fi
  od;
  /* store.go allocSlot */
#ifdef SLOT_RACE
  slot = nextSlot;               /* read now, increment after writeBlock */
#else
  /* alloc.go allocator.alloc: freeCount checked, then the free list under mu */
  got = 0;
  if
  :: freeCount > 0 ->
     d_step {
       if
       :: freeMask != 0 ->
          slot = 0;
          do
          :: (freeMask >> slot) & 1 -> break
          :: else -> slot++
          od;
          freeMask = freeMask & ~(1 << slot); freeCount--; got = 1
       :: else -> skip
       fi
     }
  :: else -> skip
  fi;
  if
  :: !got -> d_step { slot = nextSlot; nextSlot++ }
  :: else -> skip
  fi;
#endif
  assert(slot < NSLOTS);
  /* content.go appendContent */
#ifdef CONTENT_OFFSET_RACE
  off = tail[cf];                /* read outside any reservation */
  content[cf * NCELL + off] = TAG(id, v);
  tail[cf]++;
#else
  d_step { off = tail[cf]; tail[cf]++ };   /* tail.Add(n) - n */
  content[cf * NCELL + off] = TAG(id, v);
#endif
  assert(off < NCELL);
  d_step { seq++; myseq = seq };
#ifdef INDEX_BEFORE_BLOCK
  publish(id);
#endif
  /* store.go writeBlock: one pwrite of the whole record, then meta.set */
  d_step {
    hid[slot] = id; hver[slot] = v; hep[slot] = cf; hoff[slot] = off;
    hact[slot] = 0; hseq[slot] = myseq; hlive[slot] = 1
  };
#ifdef SLOT_RACE
  nextSlot++;
#endif
#ifndef INDEX_BEFORE_BLOCK
  publish(id);
#endif
  d_step { inflight[cf]--; cf = 0; slot = 0; off = 0; myseq = 0; got = 0 }  /* deferred in put; locals dead */
}

/* store.go publish/publishLocked, under the shard write lock */
inline publish(id) {
  atomic { shw[id] == 0 && shr[id] == 0 ->
    if
    :: ixslot[id] != 0 && hseq[ixslot[id] - 1] > myseq ->
       pendSup = pendSup | (1 << slot)      /* lost to a newer Put */
    :: ixslot[id] != 0 && hseq[ixslot[id] - 1] <= myseq ->
       pendSup = pendSup | (1 << (ixslot[id] - 1));
       ixslot[id] = slot + 1; ixver[id]++
    :: ixslot[id] == 0 ->
       ixslot[id] = slot + 1; ixver[id]++
    fi
  }
}

/* ---------- Get: store.go get (under the shard read lock) ---------- */
/* gfound, gver, gact: the result. Asserts that what it returns is one
 * memory's record with that memory's bytes (content.go contentBytes). */
inline get(id) {
  rlock(id);
  d_step {
    gs = ixslot[id];
    if
    :: gs != 0 -> gs--; ghid = hid[gs]; gver = hver[gs]; ghep = hep[gs]; ghoff = hoff[gs]; gact = hact[gs]
    :: else -> gs = 255
    fi
  };
  if
  :: gs == 255 -> gfound = 0
  :: else ->
     lookup(ghep, ge);
     /* a reader never returns another memory's record */
     assert(ghid == id);
     /* every published memory stays readable (ErrCorrupt: epoch gone) */
     assert(ge != 255);
     /* a reader never returns bytes of another memory or another version */
     assert(content[ge * NCELL + ghoff] == TAG(ghid, gver));
     gfound = 1
  fi;
  d_step { runlock(id); gs = 0; ghid = 0; ghep = 0; ghoff = 0; ge = 0 }
}

/* the result of a get is dead once checked */
inline forget() { d_step { gver = 0; gact = 0; gfound = 0 } }

/* ---------- Remove: store.go remove/removeLocked ---------- */
inline remove(id) {
  atomic { shw[id] == 0 && shr[id] == 0 ->
    if
    :: ixslot[id] != 0 ->
       gs = ixslot[id] - 1;
       ixslot[id] = 0; ixver[id]++; hlive[gs] = 0;
       pendRem = pendRem | (1 << gs)
    :: else -> skip
    fi
  }
}

/* ---------- UpdateActivation: store.go ---------- */
inline update_activation(id, a) {
#ifdef UNLOCKED_ACTIVATION
  /* updateActivationUnlocked: slot looked up under the read lock, the
   * header sector copied out, modified and copied back with no lock */
  rlock(id); gs = ixslot[id]; runlock(id);
  if
  :: gs != 0 ->
     gs = gs - 1;
     d_step { ghid = hid[gs]; gver = hver[gs]; ghep = hep[gs]; ghoff = hoff[gs] };
     d_step { hid[gs] = ghid; hver[gs] = gver; hep[gs] = ghep; hoff[gs] = ghoff; hact[gs] = a }
  :: else -> skip
  fi
#else
  /* updateActivationLocked under the shard write lock */
  atomic { shw[id] == 0 && shr[id] == 0 ->
    if
    :: ixslot[id] != 0 -> hact[ixslot[id] - 1] = a
    :: else -> skip
    fi
  }
#endif
}

/* ---------- Sync: sync.go sync (flushes are no-ops: no crash here) ---------- */
inline popcount(m, n) {
  n = 0; k = 0;
  do
  :: k < NSLOTS -> n = n + ((m >> k) & 1); k++
  :: else -> break
  od
}

inline sync() {
  synclock();
  d_step { sup = pendSup; rem = pendRem; pendSup = 0; pendRem = 0 };
  /* removed slots' free markers are durable: release them */
  d_step { popcount(rem, n); freeMask = freeMask | rem; freeCount = freeCount + n };
  /* superseded slots: free marker written and flushed, then released */
  d_step {
    k = 0;
    do
    :: k < NSLOTS -> if :: (sup >> k) & 1 -> hlive[k] = 0 :: else -> skip fi; k++
    :: else -> break
    od
  };
  d_step { popcount(sup, n); freeMask = freeMask | sup; freeCount = freeCount + n;
           syncMu = 0; sup = 0; rem = 0; n = 0; k = 0 }
}

/* ---------- processes ---------- */

/* A client writing A twice, reading its own writes, then removing A. */
proctype WriterA() {
  byte cf, slot, off, myseq, got;
  byte gs, ghid, gver, ghep, ghoff, gact, ge; bit gfound;
  put(IDA, 1); retA = 1;
  get(IDA); assert(gfound && gver == 1); forget();  /* a returned Put is visible */
  put(IDA, 2); retA = 2;
  get(IDA); assert(gfound && gver == 2); forget();
  remInvA = 1;
  remove(IDA);
  get(IDA); assert(!gfound);                 /* a returned Remove is visible */
  done++
}

/* A client writing B once and updating its activation. */
proctype WriterB() {
  byte cf, slot, off, myseq, got;
  byte gs, ghid, gver, ghep, ghoff, gact, ge; bit gfound;
  put(IDB, 1);
  get(IDB); assert(gfound && gver == 1); forget();
  update_activation(IDB, 1); actB = 1;
  get(IDB); assert(gfound && gver == 1 && gact == 1);
  done++
}

/* A concurrent reader: what it gets is checked by get, and it may not miss
 * a Put that returned before it began unless a Remove was invoked. */
proctype Reader() {
  byte gs, ghid, gver, ghep, ghoff, gact, ge; bit gfound;
  byte lo; bit rm;
  lo = retA; rm = remInvA;
  get(IDA);
  assert(rm || remInvA || (lo == 0) || (gfound && gver >= lo));
  forget();
  lo = actB;
  get(IDB);
  assert(lo == 0 || (gfound && gact == lo));
  done++
}

/* store/compact.go compact (one compaction, epoch 0 -> 1), with the scan of
 * scan.go (snapshotBySlot, scanSlots, visitEntry) and relocateMoves/current.
 * Ids stand for their slots: each id has one index entry at a time. */
proctype Compactor() {
  byte sup, rem, n, k;
  byte snap[NIDS], snapv[NIDS];
  byte mvslot[NIDS], mvoff[NIDS], mvnew[NIDS];  /* moves: slot+1, 0 = none */
  byte i, s, e, o, ge, src;
  /* step 1: install the new epoch, wait for Puts registered with the old */
  d_step { has1 = 1; cur = 1 };
#ifndef COMPACTION_LOST_STORE
  inflight[0] == 0;                 /* waitDrained */
#endif
  /* snapshotBySlot: each shard under its read lock */
  i = 1;
  do
  :: i < NIDS -> atomic { shw[i] == 0 -> snap[i] = ixslot[i]; snapv[i] = ixver[i] }; i++
  :: else -> break
  od;
  /* step 2: copy each live record's content (visitEntry, copier) */
  i = 1;
  do
  :: i < NIDS ->
     rlock(i);
     s = snap[i];
     if
     :: s != 0 && ixver[i] != snapv[i] -> s = ixslot[i]
     :: else -> skip
     fi;
     if
     :: s != 0 ->
        d_step { e = hep[s - 1]; o = hoff[s - 1] };
        lookup(e, ge);
        assert(ge != 255);
        if
        :: e != 1 ->
           src = content[ge * NCELL + o];
           d_step { mvnew[i] = tail[1]; tail[1]++ };
           assert(mvnew[i] < NCELL);
           content[NCELL + mvnew[i]] = src;
           mvslot[i] = s; mvoff[i] = o
        :: else -> skip
        fi
     :: else -> skip
     fi;
     d_step { runlock(i); i++; s = 0; e = 0; o = 0; ge = 0; src = 0 }
  :: else -> break
  od;
  /* step 3 */
  sync();
#ifdef COMPACTION_SWAP_WINDOW
  alias = 1;                        /* new content visible to old offsets */
#endif
  /* step 4: relocate each move that is still current, under the write lock */
  i = 1;
  do
  :: i < NIDS ->
     if
     :: mvslot[i] != 0 ->
        atomic { shw[i] == 0 && shr[i] == 0 ->
          if
          :: ixslot[i] == mvslot[i] && hep[mvslot[i] - 1] == 0 && hoff[mvslot[i] - 1] == mvoff[i] ->
             hep[mvslot[i] - 1] = 1; hoff[mvslot[i] - 1] = mvnew[i]
          :: else -> skip
          fi
        }
     :: else -> skip
     fi;
     i++
  :: else -> break
  od;
  /* step 5: sync, then retire the old file under syncMu */
  sync();
  synclock();
#ifdef COMPACTION_LOST_STORE
  d_step { has0 = 0; alias = 1 };
#else
  d_step { has0 = 0; alias = 0 };
#endif
  syncMu = 0;
  done++
}

/* sync.go groupCommit: one background Sync (the compactor syncs twice) */
proctype GroupCommit() {
  byte sup, rem, n, k;
  sync();
  done++
}

/* After every client: every live memory is readable with its own bytes,
 * no two live ids share a slot, live content never overlaps. */
proctype Final() {
  byte i, ge, s;
end_wait:
  done == NCLIENTS;
  i = 1;
  do
  :: i < NIDS ->
     if
     :: ixslot[i] != 0 ->
        s = ixslot[i] - 1;
        lookup(hep[s], ge);
        assert(hid[s] == i && ge != 255 && content[ge * NCELL + hoff[s]] == TAG(i, hver[s]))
     :: else -> skip
     fi;
     i++
  :: else -> break
  od;
  assert(ixslot[IDA] == 0);              /* removed */
  assert(ixslot[IDB] != 0 && hact[ixslot[IDB] - 1] == 1)
}

/* Invariants of every reachable state, checked by a monitor. */
#define LIVE_SLOTS_DISTINCT (ixslot[IDA] == 0 || ixslot[IDB] == 0 || ixslot[IDA] != ixslot[IDB])
#define LIVE_RANGES_DISJOINT (ixslot[IDA] == 0 || ixslot[IDB] == 0 || \
    hep[ixslot[IDA] - 1] != hep[ixslot[IDB] - 1] || hoff[ixslot[IDA] - 1] != hoff[ixslot[IDB] - 1])

proctype Monitor() {
end_mon:
  atomic { !(LIVE_SLOTS_DISTINCT && LIVE_RANGES_DISJOINT) -> assert(LIVE_SLOTS_DISTINCT && LIVE_RANGES_DISJOINT) }
}

#ifdef WITH_LTL
ltl invariants { [] (LIVE_SLOTS_DISTINCT && LIVE_RANGES_DISJOINT) }
#endif

init {
  atomic {
    run Monitor();
    run Final();
    run WriterA();
    run WriterB();
    run Compactor()
#ifdef WITH_READER
    ; run Reader()
#endif
#ifdef WITH_GROUP_COMMIT
    ; run GroupCommit()
#endif
  }
}
