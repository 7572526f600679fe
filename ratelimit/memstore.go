package ratelimit

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// overflowQuiet is how long no new client may have been sent to an overflow
// budget before the store counts an overflow as over. A flood that keeps the
// store full still lets a client in whenever a budget recovers, often several
// in a row when budgets spent together recover together; counting each of
// those as the end of the overflow would log a warning every few minutes.
const overflowQuiet = 10 * time.Minute

// evicted is the TAT of a budget the store has dropped. Checks that found it
// before it went treat it as absent, and no compare-and-swap can match it.
const evicted = math.MinInt64

// memStore holds the budgets of the in-process limiters, at most maxKeys of
// them, without ever giving a client a fresh budget by forgetting a spent one.
//
// Its values are GCRA theoretical arrival times (TATs) in Unix nanoseconds,
// which only grow while a budget is held. A budget whose TAT has passed is
// full, exactly as a fresh one would be, so dropping it loses nothing; the TTL
// throttled passes with each write is the time to that TAT, so the store
// reads the TAT itself instead. When the store is full it makes room by
// dropping such a budget, and never one that is still recovering. When every
// budget is still recovering, a client without one is checked against the
// overflow budget of its class (see classStore), which all such clients share:
// a flood of new addresses then spends that one budget rather than the
// budgets of others.
//
// Checks of a held budget take a read lock and work on its TAT atomically,
// as throttled's memstore does. Adding a budget takes the write lock; when
// the store is full it also pops recovered budgets off a heap ordered by TAT.
// The heap is updated lazily: an entry keeps the TAT its budget had when it
// was pushed, a lower bound of the real one, and is corrected only when it
// comes to the top. Each correction follows at least one write to that budget,
// so adding costs O(log maxKeys) amortized and a check of a held budget O(1).
type memStore struct {
	maxKeys int
	now     func() time.Time // time.Now; tests stop the clock before any use
	log     *slog.Logger

	mu      sync.RWMutex
	budgets map[string]*budget
	byTAT   tatHeap // every held budget once
	// roomAt is, when the store is full, a time before which no budget can
	// have recovered (the smallest TAT on the heap): until then a new client
	// goes to overflow without trying to make room.
	roomAt int64

	overflowing  atomic.Bool
	overflowed   atomic.Int64 // checks sent to overflow since the store last had room
	lastOverflow atomic.Int64 // Unix nanoseconds of the last check sent to overflow
}

// budget is the TAT of one key.
type budget struct {
	key string
	tat atomic.Int64
}

func newMemStore(maxKeys int, log *slog.Logger) *memStore {
	return &memStore{
		maxKeys: maxKeys,
		now:     time.Now,
		log:     log,
		budgets: make(map[string]*budget, min(maxKeys, 1024)),
	}
}

// len reports how many budgets the store holds.
func (s *memStore) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.budgets)
}

// tatOf returns the TAT that key is checked against: its own budget's, or
// overflow's when key has none and the store has no room for one. It returns
// nil when key has no budget but may get one.
func (s *memStore) tatOf(key string, now int64, overflow *atomic.Int64) *atomic.Int64 {
	s.mu.RLock()
	b, held := s.budgets[key]
	full := len(s.budgets) >= s.maxKeys && now < s.roomAt
	s.mu.RUnlock()
	switch {
	case held:
		return &b.tat
	case full:
		s.noteOverflow(now)
		return overflow
	default:
		return nil
	}
}

// add gives key a budget with the TAT tat unless it has one already. It
// reports false when key has one, or when the store is full of budgets that
// are all still recovering.
func (s *memStore) add(key string, tat, now int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, held := s.budgets[key]; held {
		return false
	}
	if len(s.budgets) >= s.maxKeys && !s.dropRecovered(now) {
		return false
	}
	b := &budget{key: key}
	b.tat.Store(tat)
	s.budgets[key] = b
	s.byTAT.push(tatEntry{budget: b, tat: tat})
	s.noteRoom(now)
	return true
}

// dropRecovered drops one budget whose TAT has passed, reporting false when
// every budget is still recovering. The caller holds the write lock.
func (s *memStore) dropRecovered(now int64) bool {
	for len(s.byTAT) > 0 {
		oldest := s.byTAT[0]
		if oldest.tat > now {
			s.roomAt = oldest.tat
			return false
		}
		tat := oldest.budget.tat.Load()
		if tat > now {
			// Written since it was pushed: put it where its TAT is now.
			s.byTAT.replaceTop(tatEntry{budget: oldest.budget, tat: tat})
			continue
		}
		// A check holding the budget may write it meanwhile; if it does, the
		// swap fails and the budget is looked at again.
		if oldest.budget.tat.CompareAndSwap(tat, evicted) {
			s.byTAT.pop()
			delete(s.budgets, oldest.budget.key)
			return true
		}
	}
	return false
}

// noteOverflow counts a check sent to an overflow budget and logs the start
// of an overflow: the first such check since the store last had room.
func (s *memStore) noteOverflow(now int64) {
	s.lastOverflow.Store(now)
	s.overflowed.Add(1)
	if s.overflowing.CompareAndSwap(false, true) {
		s.log.Warn("ratelimit: in-memory store full of budgets still recovering; new clients share one overflow budget per class",
			"max_keys", s.maxKeys)
	}
}

// noteRoom logs the end of an overflow: a client got a budget of its own and
// none was sent to overflow for overflowQuiet.
func (s *memStore) noteRoom(now int64) {
	if s.overflowing.Load() && now-s.lastOverflow.Load() >= int64(overflowQuiet) &&
		s.overflowing.CompareAndSwap(true, false) {
		s.log.Info("ratelimit: in-memory store has room again; new clients get budgets of their own",
			"max_keys", s.maxKeys, "overflow_checks", s.overflowed.Swap(0), "quiet_for", overflowQuiet)
	}
}

// classStore is the memStore as the GCRA limiter of one class sees it: a
// client the store has no room for is checked against the class's overflow
// budget. It implements throttled.GCRAStoreCtx.
type classStore struct {
	store    *memStore
	overflow *atomic.Int64 // TAT of the overflow budget; never dropped
}

func newClassStore(store *memStore) classStore {
	return classStore{store: store, overflow: new(atomic.Int64)}
}

// GetWithTime returns the TAT key is checked against, or -1 when key has no
// budget and may get one, and the store's time.
func (c classStore) GetWithTime(_ context.Context, key string) (int64, time.Time, error) {
	now := c.store.now()
	tat := c.store.tatOf(key, now.UnixNano(), c.overflow)
	if tat == nil {
		return -1, now, nil
	}
	if v := tat.Load(); v != evicted {
		return v, now, nil
	}
	return -1, now, nil
}

// SetIfNotExistsWithTTL gives key a budget with the TAT value. It reports
// false when key has a budget already or the store has no room; throttled
// then looks again, and finds the budget or the overflow budget. The TTL is
// the time to value, which the store reads from value itself.
func (c classStore) SetIfNotExistsWithTTL(_ context.Context, key string, value int64, _ time.Duration) (bool, error) {
	return c.store.add(key, value, c.store.now().UnixNano()), nil
}

// CompareAndSwapWithTTL sets the TAT key is checked against to new if it is
// old. It reports false when the TAT changed, or when key lost or gained a
// budget of its own since it was read.
func (c classStore) CompareAndSwapWithTTL(_ context.Context, key string, old, new int64, _ time.Duration) (bool, error) {
	tat := c.store.tatOf(key, c.store.now().UnixNano(), c.overflow)
	if tat == nil {
		return false, nil
	}
	return tat.CompareAndSwap(old, new), nil
}

// tatEntry is a budget on the heap with the TAT it had when it was pushed.
type tatEntry struct {
	budget *budget
	tat    int64
}

// tatHeap is a binary min-heap of tatEntries by tat. It is written out
// rather than built on container/heap so that pushing does not allocate.
type tatHeap []tatEntry

func (h *tatHeap) push(e tatEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if s[parent].tat <= s[i].tat {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h *tatHeap) pop() {
	s := *h
	last := len(s) - 1
	s[0] = s[last]
	s[last] = tatEntry{} // let the budget go
	*h = s[:last]
	h.down()
}

func (h *tatHeap) replaceTop(e tatEntry) {
	(*h)[0] = e
	h.down()
}

// down moves the top entry down to its place.
func (h tatHeap) down() {
	for i := 0; ; {
		smallest := i
		if left := 2*i + 1; left < len(h) && h[left].tat < h[smallest].tat {
			smallest = left
		}
		if right := 2*i + 2; right < len(h) && h[right].tat < h[smallest].tat {
			smallest = right
		}
		if smallest == i {
			return
		}
		h[i], h[smallest] = h[smallest], h[i]
		i = smallest
	}
}
