package snapshot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ontohub/ontohub/store"
)

// Values of State.State.
const (
	// StateCurrent: the snapshot of the last generation this replica heard of.
	StateCurrent = "current"
	// StateLoading: the first snapshot is not loaded yet.
	StateLoading = "loading"
	// StateStale: the last load failed; the replica serves the snapshot it had.
	StateStale = "stale"
)

// State is what /health says about the snapshot.
type State struct {
	State      string
	Generation int64
	CommitSHA  *string
	// LoadedAt is nil while the first snapshot loads.
	LoadedAt *time.Time
}

// Source reads the whole ontology consistently, and its generation cheaply; *store.Store is one.
type Source interface {
	Ontology(ctx context.Context) (store.Ontology, error)
	Generation(ctx context.Context) (int64, error)
}

// Holder keeps a replica's current snapshot and replaces it when a newer generation is ingested.
//
// Ingests announce their generation with pg_notify inside their transaction. Listen keeps a
// dedicated connection LISTENing; a notification of a generation newer than the current one,
// and every (re)connection (notifications sent while disconnected are lost), asks the loader to
// read the ontology again. The loader reads in one REPEATABLE READ transaction, builds the new
// snapshot aside and swaps it in only if its generation is newer than the one being served: a
// slow load that began before a commit can never replace the snapshot of that commit. A failed
// load keeps the old snapshot, marks the state stale, logs, and is retried.
type Holder struct {
	source  Source
	log     *slog.Logger
	current atomic.Pointer[Snapshot]
	// loaded is false until the first successful load: the empty placeholder before it may be
	// replaced by a snapshot of any generation, even 0.
	loaded atomic.Bool
	// stale is set by a failed load and cleared by a successful one.
	stale atomic.Bool
	// heard is the newest generation announced.
	heard atomic.Int64
	// kick wakes the loader; its buffer of one coalesces a burst of announcements into one load.
	kick chan struct{}
	// loadMu serializes loads, so two reads never race to build the same generation.
	loadMu sync.Mutex
}

// NewHolder returns a Holder serving the empty snapshot until its first load.
func NewHolder(source Source, log *slog.Logger) *Holder {
	h := &Holder{source: source, log: log, kick: make(chan struct{}, 1)}
	h.current.Store(Empty())
	return h
}

// Current returns the snapshot to answer one request from; never nil.
func (h *Holder) Current() *Snapshot { return h.current.Load() }

// State reports the snapshot's state for /health.
func (h *Holder) State() State {
	s := h.Current()
	st := State{State: StateCurrent, Generation: s.Generation, CommitSHA: s.CommitSHA}
	switch {
	case !h.loaded.Load():
		st.State = StateLoading
		return st
	case h.stale.Load():
		st.State = StateStale
	}
	loadedAt := s.LoadedAt
	st.LoadedAt = &loadedAt
	return st
}

// Load reads the ontology now and swaps the result in if it is newer than what is served. It
// returns the generation served afterwards.
func (h *Holder) Load(ctx context.Context) (int64, error) {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	start := time.Now()
	if h.loaded.Load() && !h.stale.Load() {
		// Asked after a reconnection, or twice for one announcement: the database's generation
		// says in one row whether there is anything new to read.
		generation, err := h.source.Generation(ctx)
		if err != nil {
			h.failed(err)
			return h.Current().Generation, err
		}
		if generation == h.Current().Generation {
			return generation, nil
		}
	}
	o, err := h.source.Ontology(ctx)
	if err != nil {
		h.failed(err)
		return h.Current().Generation, err
	}
	next, err := Build(o)
	if err != nil {
		h.failed(err)
		return h.Current().Generation, err
	}
	o = store.Ontology{}
	swapped := h.swap(next)
	h.stale.Store(false)
	if swapped {
		h.log.Info("ontology snapshot loaded", "generation", next.Generation, "entities", next.total(),
			"duration_ms", time.Since(start).Milliseconds())
		// The read rows and the previous snapshot are garbage now, tens of megabytes of it:
		// give the memory back rather than let the heap sit at twice the snapshot's size.
		debug.FreeOSMemory()
	}
	return h.Current().Generation, nil
}

// swap installs next unless a snapshot of the same or a newer generation is already served.
func (h *Holder) swap(next *Snapshot) bool {
	for {
		old := h.current.Load()
		if h.loaded.Load() && next.Generation <= old.Generation {
			return false
		}
		if h.current.CompareAndSwap(old, next) {
			h.loaded.Store(true)
			return true
		}
	}
}

func (h *Holder) failed(err error) {
	if !h.stale.Swap(true) {
		h.log.Error("ontology snapshot load failed; serving the previous one", "generation", h.Current().Generation, "error", err)
	} else {
		h.log.Debug("ontology snapshot load failed again", "error", err)
	}
}

// Announce tells the holder that generation was ingested; it is loaded in the background by Run.
func (h *Holder) Announce(generation int64) {
	for {
		heard := h.heard.Load()
		if generation <= heard || h.heard.CompareAndSwap(heard, generation) {
			break
		}
	}
	h.requestLoad()
}

func (h *Holder) requestLoad() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// Run loads the snapshot whenever it is asked to (Announce, or a reconnection of Listen) until
// ctx ends, retrying a failed load with backoff while a newer generation is known.
func (h *Holder) Run(ctx context.Context) {
	const minBackoff, maxBackoff = 500 * time.Millisecond, 30 * time.Second
	backoff := minBackoff
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		case <-retry:
		}
		retry = nil
		if _, err := h.Load(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			retry = time.After(backoff)
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
		if h.heard.Load() > h.Current().Generation {
			// An announcement arrived during the load, of a generation it did not see.
			h.requestLoad()
		}
	}
}

// Connector opens a dedicated database connection (not one of the pool's, which come and go).
type Connector func(ctx context.Context) (*pgx.Conn, error)

// pingInterval is how long Listen waits for a notification before checking that its connection
// is alive: a connection dropped by the network would otherwise wait forever, deaf.
const pingInterval = 30 * time.Second

// Listen LISTENs for ingest announcements on a connection of its own until ctx ends,
// reconnecting with backoff when the connection breaks (or is terminated), and asking for a
// load after every (re)connection, since notifications sent meanwhile were lost.
func (h *Holder) Listen(ctx context.Context, connect Connector) {
	const minBackoff, maxBackoff = 200 * time.Millisecond, 10 * time.Second
	backoff := minBackoff
	down := false
	for ctx.Err() == nil {
		err := h.listenOnce(ctx, connect, func() {
			backoff = minBackoff
			if down {
				h.log.Info("ontology listener reconnected")
				down = false
			}
		})
		if ctx.Err() != nil {
			return
		}
		if !down {
			h.log.Warn("ontology listener disconnected; reconnecting", "error", err)
			down = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listenOnce connects, LISTENs, asks for a load and forwards announcements until the connection
// fails; connected runs once the LISTEN is in place.
func (h *Holder) listenOnce(ctx context.Context, connect Connector, connected func()) error {
	conn, err := connect(ctx)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{store.OntologyChannel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	connected()
	h.requestLoad()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, pingInterval)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			generation, perr := strconv.ParseInt(n.Payload, 10, 64)
			if perr != nil {
				h.log.Warn("ontology listener: bad announcement", "payload", n.Payload)
				generation = h.Current().Generation + 1
			}
			h.Announce(generation)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}

func (s *Snapshot) total() int {
	n := 0
	for _, k := range s.kinds {
		n += len(k.sorted)
	}
	return n
}

// Loaded reports whether a snapshot was ever loaded; before that, Current is empty and reads
// should say the ontology is loading rather than answer from nothing.
func (h *Holder) Loaded() bool { return h.loaded.Load() }
