package history

import (
	"fmt"
	"math/rand/v2"
)

// sampleEvents builds a well-formed history of n events with the realistic
// mix the size target is stated for: mostly puts and gets with 12-character
// ids, a few removes, update-activations, fails and infos, one nemesis
// window and a snapshot. workers processes run concurrently.
func sampleEvents(n int, seed uint64) []Event {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const workers = 8
	process := make([]int64, workers)
	pending := make([]*Event, workers)
	for i := range process {
		process[i] = int64(i)
	}
	var events []Event
	var now int64 = 1_000
	add := func(e Event) {
		e.Index = uint64(len(events))
		now += 200 + rng.Int64N(5_000)
		e.Time = now
		events = append(events, e)
	}
	for len(events) < n {
		switch r := rng.IntN(1000); {
		case r == 0:
			add(Event{Kind: KindNemesis, Type: Info, Nemesis: &Nemesis{Fault: "panic", Phase: NemesisStart, Target: "put.after-append", Hits: map[string]uint64{"put.after-append": uint64(rng.IntN(9))}}})
			continue
		case r == 2:
			add(Event{Kind: KindNemesis, Type: Info, Nemesis: &Nemesis{Fault: "compact", Phase: NemesisEnd, Target: "store",
				Compaction: &Compaction{Epoch: uint64(rng.IntN(9)), BytesBefore: 900, BytesAfter: 300, BytesReclaimed: 600, Moved: 3}}})
			continue
		case r == 1:
			add(Event{Kind: KindSnapshot, Type: Info, Snapshot: &Snapshot{Reason: "periodic",
				Stats:  &Stats{Live: 3, SlotsInUse: 3, SlotsTotal: 64, ContentBytesTotal: 900, ContentBytesLive: 300, Fragmentation: 0.66, Epoch: 1, FileBytes: 1 << 20},
				Layout: []Entry{{ID: "mem-00000001", Value: Value{HasContent: true, ContentDigest: rng.Uint64(), ContentLen: 100}, Placement: Placement{Slot: 1, Offset: 0, Length: 100, Epoch: 1, HasContent: true}}}}})
			continue
		}
		w := rng.IntN(workers)
		if p := pending[w]; p != nil {
			c := Event{Kind: KindOp, Process: p.Process, Worker: p.Worker, Op: p.Op, ID: p.ID}
			switch r := rng.IntN(100); {
			case r < 2:
				c.Type, c.Error = Fail, "bad id"
			case r < 3:
				c.Type, c.Error = Info, "panic: injected at put.after-append"
				process[w] += workers
			default:
				c.Type = OK
				c.Output = &Output{}
				switch p.Op {
				case OpPut:
					c.Output.Placement = Placement{Slot: rng.Uint64N(10_000), Offset: rng.Uint64N(1 << 30), Length: p.Input.Value.ContentLen, Epoch: 1, HasContent: true}
				case OpGet:
					c.Output.Found = rng.IntN(4) > 0
					if c.Output.Found {
						c.Output.Value = Value{HasContent: true, ContentDigest: rng.Uint64(), ContentLen: 100, EmbeddingDigest: rng.Uint64(), Confidence: rng.Float32(), Activation: rng.Float32()}
					}
				default:
					c.Output.Found = true
				}
			}
			add(c)
			pending[w] = nil
			continue
		}
		inv := Event{Kind: KindOp, Type: Invoke, Process: process[w], Worker: int32(w), ID: fmt.Sprintf("mem-%08d", rng.IntN(100_000))}
		switch r := rng.IntN(100); {
		case r < 45:
			inv.Op = OpPut
			inv.Input = &Input{Value: Value{HasContent: true, ContentDigest: rng.Uint64(), ContentLen: 100, EmbeddingDigest: rng.Uint64(), Confidence: rng.Float32(), Activation: rng.Float32()}}
		case r < 90:
			inv.Op = OpGet
		case r < 95:
			inv.Op = OpRemove
		default:
			inv.Op = OpUpdateActivation
			inv.Input = &Input{Activation: rng.Float32()}
		}
		add(inv)
		pending[w] = &events[len(events)-1]
	}
	return events
}
