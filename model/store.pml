/*
 * store.pml: the warm-tier store's concurrency protocol (store/, as of
 * main 458e37a) as a Promela model for spin. See README.md for what each
 * process models, the configurations and why their bounds suffice.
 *
 * Bounded domains (exhaustive within them):
 *   ids      A=1, B=2, each in its own index shard (shard = id)
 *   slots    4 (blocks.dat), slot numbers 0..3
 *   epochs   2 (content.0.dat, content.1.dat: one compaction)
 *   content  6 cells per epoch (4 Puts + 2 compaction copies at most);
 *            every content is one cell holding TAG(id, version) of its writer
 *   versions A: Put version 1, Put version 2, Remove (its op 3), and with
 *            -DREPUT Put version 4 (a record's version is its op's number,
 *            so newer is larger); B: Put version 1, activation set to 1
 *
 * Processes: WriterA, WriterB, Compactor, Reader (Get A, Get B, and a scan
 * unless -DNO_SCAN), GroupCommit (a Sync at any moment, any number of
 * times), Final (the end state), Monitor (invariants of every state).
 * Configurations (check.sh): full = no flag; reput = -DREPUT -DNO_SCAN.
 *
 * Seeded bugs (store/bugs.go), one -D each: SLOT_RACE, CONTENT_OFFSET_RACE,
 * COMPACTION_SWAP_WINDOW, COMPACTION_LOST_STORE, UNLOCKED_ACTIVATION,
 * INDEX_BEFORE_BLOCK. Mutants of the model that show the scan's and the
 * compaction's checks are needed: MUTANT_SCAN_NO_RECHECK (visitEntry trusts
 * the snapshot's slot), MUTANT_REWRITE_NOT_CURRENT (relocateMoves without
 * current).
 *
 * Atomicity (README.md, "Why the atomic steps are sound"): one atomic step
 * is one Go atomic operation, or one section the code runs under a lock,
 * or an access to data no other process may touch at that moment; the
 * last is asserted (MOVER) in the correct model, where the reduction must
 * be sound. A bug variant only needs a real counterexample: coarser steps
 * give fewer interleavings than the code has, never more.
 */

#if defined(SLOT_RACE) || defined(CONTENT_OFFSET_RACE) || defined(COMPACTION_SWAP_WINDOW) || \
    defined(COMPACTION_LOST_STORE) || defined(UNLOCKED_ACTIVATION) || defined(INDEX_BEFORE_BLOCK) || \
    defined(MUTANT_SCAN_NO_RECHECK) || defined(MUTANT_REWRITE_NOT_CURRENT)
#define SEEDED_BUG   /* a seeded bug of store/bugs.go, or a mutant of the model */
#define MOVER(c) skip
#else
#define MOVER(c) assert(c)
#endif

#define NIDS   3   /* ids 1..2; 0 unused */
#define NSLOTS 4
#define NCELL  6
#define TAG(id, v) ((id) * 8 + (v))
#define REMOVED 3  /* WriterA's op 3 is Remove(A) */
#define IDA 1
#define IDB 2
#define GONE 255   /* lookup: the content epoch is not in the set */

/* index.go shard: m[id] (slot+1, 0 = absent) and version. Every section the
 * code runs under a shard lock is one atomic step here, so the lock itself
 * needs no state (see README.md). */
byte ixslot[NIDS];
byte ixver[NIDS];

/* blocks.dat record headers; the slotmeta.go copy is kept equal (it is
 * written with the header under the same locks), so it is not separate */
byte hid[NSLOTS];        /* 0: never written */
byte hver[NSLOTS];
byte hep[NSLOTS];
byte hoff[NSLOTS];
byte hact[NSLOTS];

/* content.go: cells of both epochs, tails, in-flight Put counts */
byte content[2 * NCELL];
byte tail[2];
byte inflight[2];
/* content.go epochSet, replaced wholesale through Store.epochs */
bit  cur;                /* current (append) epoch */
bit  has0 = 1;           /* content.0.dat in the set */
bit  has1;               /* content.1.dat in the set */
bit  alias;              /* aliasOld: older epochs resolve to cur */

/* alloc.go allocator (free list as a mask; freeCount is its popcount) and
 * pendingFree; taken*: the lists a Sync has taken and not yet released */
byte nextSlot;
byte freeMask;
byte pendSup;
byte pendRem;
byte takenSup;
byte takenRem;
byte busy;               /* slots held by in-flight Puts (allocated, not published) */
bit  syncMu;

/* observation, for the properties */
byte lastA;              /* number of A's last completed op (0: none) */
byte lastB;              /* B's Put returned (1) */
byte actB;               /* activation of B whose update returned */
byte done;               /* finished client processes */

#define NCLIENTS 4  /* WriterA, WriterB, Compactor, Reader; GroupCommit never finishes */

#define SLOTBIT(s) (1 << (s))
#define INDEXED(s) (ixslot[IDA] == (s) + 1 || ixslot[IDB] == (s) + 1)
/* the live record of id points at cell off of epoch e */
#define REFERENCED(id, e, o) (ixslot[id] != 0 && hep[ixslot[id] - 1] == (e) && hoff[ixslot[id] - 1] == (o))

/* content.go epochSet.lookup on one load of Store.epochs: ge is the epoch
 * whose file is read, or GONE (contentBytes: ErrCorrupt). */
inline lookup(e, ge) {
  if
  :: e == cur -> ge = cur
  :: else ->
     if
     :: alias -> ge = cur
     :: !alias && e == 0 && has0 -> ge = 0
     :: !alias && e == 1 && has1 -> ge = 1
     :: else -> ge = GONE
     fi
  fi
}

/* The record in slot s as a reader returns it for id (store.go get,
 * scan.go visitEntry: header, then content through the epoch set):
 * it is id's record, its content epoch is still there, and the bytes are
 * those that id's Put of that version wrote. */
inline check_record(id, s, ge) {
  lookup(hep[s], ge);
  assert(hid[s] == id);                                /* no other memory's record */
  assert(ge != GONE);                                  /* readable (compaction kept it) */
  assert(content[ge * NCELL + hoff[s]] == TAG(id, hver[s]))  /* its own bytes, its own version */
}

/* ---------- Put: store.go Put/put, alloc.go alloc, content.go ---------- */

/* alloc.go allocator.alloc: a slot from the free list (under its mutex), or
 * nextSlot.Add. The code takes the counter only when it read freeCount as
 * 0, which a Sync may change right after; the correct model lets a Put take
 * the counter at any time (more behaviours, so a verification still holds). */
inline alloc_slot() {
  atomic {
    if
    :: freeMask & 1 -> slot = 0
    :: freeMask & 2 -> slot = 1
    :: freeMask & 4 -> slot = 2
    :: freeMask & 8 -> slot = 3
#ifdef SEEDED_BUG
    :: freeMask == 0 -> slot = GONE
#else
    :: true -> slot = GONE
#endif
    fi;
    if
    :: slot == GONE -> slot = nextSlot; nextSlot++
    :: else -> freeMask = freeMask & ~SLOTBIT(slot)
    fi;
    assert(slot < NSLOTS);
    /* alloc.go: a slot is in one of free list, index, pending, a Put */
    assert(!INDEXED(slot) && (busy & SLOTBIT(slot)) == 0 &&
           ((pendSup | pendRem | takenSup | takenRem) & SLOTBIT(slot)) == 0);
    busy = busy | SLOTBIT(slot)
  }
}

/* store.go writeBlock: one pwrite of the whole record, then meta.set. The
 * slot is this Put's alone (MOVER): no reader looks at it yet. */
inline write_block(id, v) {
  MOVER(!INDEXED(slot));
  hid[slot] = id; hver[slot] = v; hep[slot] = cf; hoff[slot] = off; hact[slot] = 0
}

/* store.go publish/publishLocked under the shard write lock. Each id has
 * one writer, so the sequence comparison always finds the older record
 * (the losing branch, and seq, are not modelled). */
inline publish(id) {
  if
  :: ixslot[id] != 0 -> pendSup = pendSup | SLOTBIT(ixslot[id] - 1)
  :: else -> skip
  fi;
  ixslot[id] = slot + 1; ixver[id]++;
  busy = busy & ~SLOTBIT(slot)
}

/* the Put has returned: its deferred inflight.Add(-1) and dead locals */
inline put_return(ret, v) {
  inflight[cf]--; ret = v; cf = 0; slot = 0; off = 0
}

inline put(id, v, ret) {
  /* content.go acquireEpoch; its retry loop is one step (README.md) */
  atomic { cf = cur; inflight[cf]++ };
#ifdef SLOT_RACE
  d_step { slot = nextSlot; busy = busy | SLOTBIT(slot) };  /* incremented after writeBlock */
#else
  alloc_slot();
#endif
#ifdef CONTENT_OFFSET_RACE
  off = tail[cf];                    /* read outside any reservation */
  atomic { content[cf * NCELL + off] = TAG(id, v); tail[cf]++ };
  atomic { write_block(id, v) };
#elif defined(INDEX_BEFORE_BLOCK)
  d_step { off = tail[cf]; tail[cf]++; content[cf * NCELL + off] = TAG(id, v) };
  d_step { publish(id) };
  d_step { write_block(id, v); put_return(ret, v) };
#else
  /* appendContent: tail.Add reserves the cell, which is then this Put's
   * alone (MOVER: never written before); then writeBlock */
  d_step {
    off = tail[cf]; tail[cf]++;
    assert(off < NCELL);
    MOVER(content[cf * NCELL + off] == 0 && !REFERENCED(IDA, cf, off) && !REFERENCED(IDB, cf, off));
    content[cf * NCELL + off] = TAG(id, v);
    write_block(id, v)
  };
#endif
#ifdef SLOT_RACE
  nextSlot++;
#endif
#ifndef INDEX_BEFORE_BLOCK
  d_step { publish(id); put_return(ret, v) }
#endif
}

/* ---------- Sync: sync.go sync (flushes are no-ops: no crash here) ---------- */

/* pending.take under syncMu */
inline sync_take() {
  atomic { syncMu == 0 -> syncMu = 1; takenSup = pendSup; takenRem = pendRem; pendSup = 0; pendRem = 0 }
}

/* flush; removed slots released (their free markers are durable) */
inline sync_release_removed() {
  d_step { freeMask = freeMask | takenRem; takenRem = 0 }
}

/* free markers written on the superseded slots (theirs alone: in no list,
 * no index, no Put), flush, superseded slots released, syncMu released */
inline sync_release_superseded() {
  d_step { freeMask = freeMask | takenSup; takenSup = 0; syncMu = 0 }
}

inline sync() { sync_take(); sync_release_removed(); sync_release_superseded() }

/* ---------- Get: store.go get, under the shard read lock: one step ---------- */
/* The Get's checks: check_record, and that it returns the state of the
 * last completed op or a newer one: a memory absent only if never written
 * or removed, a version not older than the last Put (or Remove) that
 * returned, an activation not older than the last update that returned. */
inline get(id, last, act) {
  d_step {
    if
    :: ixslot[id] == 0 -> assert(last == 0 || last == REMOVED)
    :: else ->
       s = ixslot[id] - 1;
       check_record(id, s, ge);
       assert(hver[s] >= last && hact[s] >= act)
    fi;
    s = 0; ge = 0
  }
}

/* ---------- Remove: store.go remove/removeLocked ---------- */
inline remove(id) {
  if
  :: ixslot[id] != 0 ->
     pendRem = pendRem | SLOTBIT(ixslot[id] - 1);
     ixslot[id] = 0; ixver[id]++
  :: else -> skip
  fi
}

/* ---------- UpdateActivation: store.go ---------- */
inline update_activation(id, a) {
#ifdef UNLOCKED_ACTIVATION
  /* updateActivationUnlocked: slot looked up under the read lock, the
   * header sector copied out, modified and copied back with no lock */
  d_step { s = ixslot[id] };
  if
  :: s != 0 ->
     s = s - 1;
     d_step { uid = hid[s]; uver = hver[s]; uep = hep[s]; uoff = hoff[s] };
     d_step { hid[s] = uid; hver[s] = uver; hep[s] = uep; hoff[s] = uoff; hact[s] = a;
              actB = a; s = 0; uid = 0; uver = 0; uep = 0; uoff = 0; done++ }
  :: else -> d_step { s = 0; done++ }
  fi
#else
  /* updateActivationLocked under the shard write lock */
  d_step {
    if
    :: ixslot[id] != 0 -> hact[ixslot[id] - 1] = a
    :: else -> skip
    fi;
    actB = a; done++
  }
#endif
}

/* ---------- scan: scan.go snapshotBySlot, scanSlots, visitEntry ---------- */
/* snapshotBySlot: shard i read under its read lock */
inline snapshot(i) { d_step { snap[i] = ixslot[i]; snapv[i] = ixver[i] } }

/* visitEntry of id i under shard i's read lock (one scan batch: 4 slots <
 * scanBatch): the snapshot's slot, or the current one if the shard changed
 * since (vs = slot+1, 0 = removed: skipped); the record is checked as a
 * reader returns it. The epoch set is loaded under the lock, as the code. */
inline visit_entry(i) {
  vs = snap[i];
#ifndef MUTANT_SCAN_NO_RECHECK
  if
  :: vs != 0 && ixver[i] != snapv[i] -> vs = ixslot[i]
  :: else -> skip
  fi;
#endif
  if
  :: vs != 0 -> check_record(i, vs - 1, ge)
  :: else -> skip
  fi
}

/* ---------- processes ---------- */

/* A client: Put(A,1), Put(A,2), Remove(A) [, Put(A,4) with -DREPUT]. */
proctype WriterA() {
  byte cf, slot, off;
  put(IDA, 1, lastA);
  put(IDA, 2, lastA);
#ifdef REPUT
  d_step { remove(IDA); lastA = REMOVED };
  put(IDA, 4, lastA);
  done++
#else
  d_step { remove(IDA); lastA = REMOVED; done++ }
#endif
}

/* A client: Put(B,1), UpdateActivation(B,1). */
proctype WriterB() {
  byte cf, slot, off;
#ifdef UNLOCKED_ACTIVATION
  byte s, uid, uver, uep, uoff;
#endif
  put(IDB, 1, lastB);
  update_activation(IDB, 1)     /* counts itself done */
}

/* A concurrent reader: Get(A), Get(B), then a scan (Iterate) that returns
 * each visited memory's version and bytes, checked as a Get's are; every
 * memory present when the scan began (its last completed op a Put) and not
 * removed during it is visited, with that version or a newer one. */
proctype Reader() {
  byte s, ge, vs;
  byte snap[NIDS], snapv[NIDS];
  byte loA, loB, loAct; bit seenA, seenB;
  get(IDA, lastA, 0);
  get(IDB, lastB, actB);
#ifndef NO_SCAN
  d_step { loA = lastA; loB = lastB; loAct = actB };
  snapshot(IDA);
  snapshot(IDB);
  d_step {
    visit_entry(IDA);
    if :: vs != 0 -> assert(hver[vs - 1] >= loA); seenA = 1 :: else -> skip fi;
    vs = 0; ge = 0
  };
  d_step {
    visit_entry(IDB);
    if :: vs != 0 -> assert(hver[vs - 1] >= loB && hact[vs - 1] >= loAct); seenB = 1 :: else -> skip fi;
    vs = 0; ge = 0
  };
  d_step {
    assert(seenB || loB == 0);
    assert(seenA || loA == 0 || loA == REMOVED || (loA < REMOVED && lastA >= REMOVED));
    snap[IDA] = 0; snap[IDB] = 0; snapv[IDA] = 0; snapv[IDB] = 0;
    loA = 0; loB = 0; loAct = 0; seenA = 0; seenB = 0;
    done++
  }
#else
  done++
#endif
}

/* compact.go step 2: the scan's visit of id i (visitEntry) hands the
 * copier a move if the record's content is in the old epoch */
inline compact_visit(i) {
  visit_entry(i);
  if
  :: vs != 0 && hep[vs - 1] != 1 ->
     mvslot[i] = vs; mvoff[i] = hoff[vs - 1]; mvsrc[i] = content[ge * NCELL + hoff[vs - 1]]
  :: else -> skip
  fi;
  vs = 0; ge = 0; snap[i] = 0; snapv[i] = 0
}

/* copier.flush for the move of id i, if any: a cell reserved in the new
 * epoch, written with the old bytes */
inline copy_move(i) {
  if
  :: mvslot[i] != 0 ->
     mvnew[i] = tail[1]; tail[1]++;
     assert(mvnew[i] < NCELL);
     MOVER(content[NCELL + mvnew[i]] == 0 && !REFERENCED(IDA, 1, mvnew[i]) && !REFERENCED(IDB, 1, mvnew[i]));
     content[NCELL + mvnew[i]] = mvsrc[i]; mvsrc[i] = 0
  :: else -> skip
  fi
}

/* compact.go step 4 for the move of id i (relocateMoves, current): under
 * shard i's write lock, the record's content reference is pointed at the
 * copy if the move is still the current record of i */
inline rewrite_move(i) {
  if
#ifdef MUTANT_REWRITE_NOT_CURRENT
  :: mvslot[i] != 0 ->
#else
  :: mvslot[i] != 0 && ixslot[i] == mvslot[i] && hep[mvslot[i] - 1] == 0 &&
     hoff[mvslot[i] - 1] == mvoff[i] ->
#endif
     hep[mvslot[i] - 1] = 1; hoff[mvslot[i] - 1] = mvnew[i]
  :: else -> skip
  fi;
  mvslot[i] = 0; mvoff[i] = 0; mvnew[i] = 0
}

/* store/compact.go compact (one compaction, epoch 0 -> 1): its scan is the
 * one of scan.go (snapshot, visitEntry), its copier reserves one range for
 * the batch after the scan, relocateMoves/current relocate under the write
 * lock, retire under syncMu. */
proctype Compactor() {
  byte snap[NIDS], snapv[NIDS];
  byte mvslot[NIDS], mvoff[NIDS], mvsrc[NIDS], mvnew[NIDS];  /* moves: slot+1, 0 = none */
  byte vs, ge;
  /* step 1: install the new epoch, wait for Puts registered with the old */
  d_step { has1 = 1; cur = 1 };
#ifndef COMPACTION_LOST_STORE
  inflight[0] == 0;                 /* waitDrained */
#endif
  /* step 2: scan (snapshotBySlot, then visitEntry per shard), copier.add */
  snapshot(IDA);
  snapshot(IDB);
  d_step { compact_visit(IDA) };
  d_step { compact_visit(IDB) };
  /* copier.flush: one reservation for the batch, one write; the range is
   * the compactor's alone (MOVER) */
  d_step { copy_move(IDA); copy_move(IDB) };
  /* step 3 */
  sync();
#ifdef COMPACTION_SWAP_WINDOW
  alias = 1;                        /* new content visible to old offsets */
#endif
  /* step 4: relocateMoves, per shard under its write lock (the fast path's
   * lockAll of both is one of these interleavings) */
  d_step { rewrite_move(IDA) };
  d_step { rewrite_move(IDB) };
  /* step 5: sync, then retire the old file under syncMu */
  sync();
  atomic {
    syncMu == 0 ->
#ifdef COMPACTION_LOST_STORE
    has0 = 0; alias = 1;
#else
    has0 = 0; alias = 0;
#endif
    done++
  }
}

/* sync.go groupCommit: a Sync whenever something is pending (needsSync),
 * at any moment, any number of times */
proctype GroupCommit() {
end_gc:
  do
  :: (pendSup | pendRem) != 0 -> sync()
  od
}

/* After every client: every live memory is readable with its own bytes;
 * A has version 4; B has its activation. */
proctype Final() {
  byte i, ge, s;
end_wait:
  done == NCLIENTS;
  i = IDA;
  do
  :: i < NIDS ->
     if
     :: ixslot[i] != 0 -> s = ixslot[i] - 1; check_record(i, s, ge)
     :: else -> skip
     fi;
     i++
  :: else -> break
  od;
#ifdef REPUT
  assert(ixslot[IDA] != 0 && hver[ixslot[IDA] - 1] == 4);
#else
  assert(ixslot[IDA] == 0);
#endif
  assert(ixslot[IDB] != 0 && hact[ixslot[IDB] - 1] == 1)
}

/* Invariants of every reachable state: no two live ids share a slot; live
 * content ranges of one epoch never overlap; no free slot is live. */
#define LIVE_SLOTS_DISTINCT (ixslot[IDA] == 0 || ixslot[IDB] == 0 || ixslot[IDA] != ixslot[IDB])
#define LIVE_RANGES_DISJOINT (ixslot[IDA] == 0 || ixslot[IDB] == 0 || \
    hep[ixslot[IDA] - 1] != hep[ixslot[IDB] - 1] || hoff[ixslot[IDA] - 1] != hoff[ixslot[IDB] - 1])
#define FREE_NOT_LIVE ((ixslot[IDA] == 0 || (freeMask & SLOTBIT(ixslot[IDA] - 1)) == 0) && \
    (ixslot[IDB] == 0 || (freeMask & SLOTBIT(ixslot[IDB] - 1)) == 0))
#define INVARIANTS (LIVE_SLOTS_DISTINCT && LIVE_RANGES_DISJOINT && FREE_NOT_LIVE)

proctype Monitor() {
end_mon:
  atomic { !INVARIANTS -> assert(INVARIANTS) }
}

#ifdef WITH_LTL
ltl invariants { [] INVARIANTS }
#endif

init {
  atomic {
    run Monitor();
    run Final();
    run WriterA();
    run WriterB();
    run Compactor();
    run Reader();
    run GroupCommit()
  }
}
