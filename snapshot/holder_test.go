package snapshot

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ontohub/ontohub/internal/testdb"
	"github.com/ontohub/ontohub/internal/testlog"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/store"
)

var dbURL string

func TestMain(m *testing.M) { os.Exit(testdb.Run(m, "snapshot", &dbURL)) }

// replica is one server's holder, loading and listening as serve runs it.
type replica struct {
	holder *Holder
	logs   *testlog.Buffer
}

func startReplica(t *testing.T, ctx context.Context, st *store.Store) replica {
	t.Helper()
	logs := &testlog.Buffer{}
	h := NewHolder(st, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	go h.Run(ctx)
	go h.Listen(ctx, st.Connect)
	return replica{holder: h, logs: logs}
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ingestOne(t *testing.T, st *store.Store, commit, label string) int64 {
	t.Helper()
	source := `{"id":"Agent","label":"` + label + `"}`
	res, err := st.Ingest(context.Background(), store.Ingest{
		CommitSHA: &commit,
		Entities: []store.EntityRecord{{EntityType: "category", EntityID: "Agent", FilePath: "categories/Agent.json",
			Label: label, Source: []byte(source), ContentHash: label}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Generation
}

// TestReplicasFollowIngests runs two replicas on one database: each serves a new generation soon
// after an ingest on any of them, catches up after its listening connection is killed, and keeps
// serving its snapshot when a load fails.
func TestReplicasFollowIngests(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first := ingestOne(t, st, "aaaa", "Agent one")
	replicas := []replica{startReplica(t, ctx, st), startReplica(t, ctx, st)}
	serves := func(r replica, generation int64, label string) func() bool {
		return func() bool {
			s := r.holder.Current()
			e, ok := s.Entity(ontology.KindCategory, "Agent")
			return s.Generation == generation && ok && e.Label == label
		}
	}
	for i, r := range replicas {
		waitFor(t, 5*time.Second, "first load", serves(r, first, "Agent one"))
		if st := r.holder.State(); st.State != StateCurrent || st.Generation != first {
			t.Errorf("replica %d state %+v", i, st)
		}
	}

	// An ingest anywhere reaches both within a second.
	second := ingestOne(t, st, "bbbb", "Agent two")
	for _, r := range replicas {
		waitFor(t, time.Second, "new generation", serves(r, second, "Agent two"))
	}

	// Kill the listening connections: the replicas reconnect and catch up with what was ingested
	// while they were deaf.
	terminated, err := st.Pool().Exec(ctx, `
		SELECT pg_terminate_backend(pid)
		FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	if terminated.RowsAffected() != 2 {
		t.Fatalf("terminated %d listeners, want 2", terminated.RowsAffected())
	}
	third := ingestOne(t, st, "cccc", "Agent three")
	for i, r := range replicas {
		waitFor(t, 5*time.Second, "catch up after reconnecting", serves(r, third, "Agent three"))
		if !strings.Contains(r.logs.String(), "ontology listener reconnected") {
			t.Errorf("replica %d did not log its reconnection:\n%s", i, r.logs.String())
		}
	}

	// A generation that cannot be loaded (a corrupt row): the old snapshot stays, stale.
	if _, err := st.Pool().Exec(ctx, `UPDATE entities SET source = 'not json' WHERE entity_id = 'Agent'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO ingests (commit_sha) VALUES ('dddd')`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `SELECT pg_notify($1, (SELECT max(generation) FROM ingests)::text)`, store.OntologyChannel); err != nil {
		t.Fatal(err)
	}
	for i, r := range replicas {
		waitFor(t, 5*time.Second, "stale state", func() bool { return r.holder.State().State == StateStale })
		if !serves(r, third, "Agent three")() {
			t.Errorf("replica %d dropped its snapshot after a failed load", i)
		}
		if !strings.Contains(r.logs.String(), "ontology snapshot load failed; serving the previous one") {
			t.Errorf("replica %d did not log the failed load", i)
		}
	}
	// Repaired: the retry picks the newer generation up by itself.
	fourth := ingestOne(t, st, "eeee", "Agent four")
	for _, r := range replicas {
		waitFor(t, 5*time.Second, "recovered", serves(r, fourth, "Agent four"))
		waitFor(t, time.Second, "current again", func() bool { return r.holder.State().State == StateCurrent })
	}
}

// slowSource lets a load start, then holds it until released: the fill race.
type slowSource struct {
	st      *store.Store
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *slowSource) Generation(ctx context.Context) (int64, error) { return s.st.Generation(ctx) }

func (s *slowSource) Ontology(ctx context.Context) (store.Ontology, error) {
	o, err := s.st.Ontology(ctx)
	s.once.Do(func() {
		close(s.started)
		<-s.release
	})
	return o, err
}

// TestSlowLoadNeverReplacesANewerSnapshot: a load that read the ontology before an ingest and
// finishes after a later load must not install its older generation.
func TestSlowLoadNeverReplacesANewerSnapshot(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	old := ingestOne(t, st, "1111", "Old")
	slow := &slowSource{st: st, started: make(chan struct{}), release: make(chan struct{})}
	h := NewHolder(slow, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan error, 1)
	go func() {
		_, err := h.Load(ctx)
		done <- err
	}()
	<-slow.started // the slow load has read generation old
	newer := ingestOne(t, st, "2222", "New")
	// A second holder method call would wait for the first (loads are serialized), so install
	// the newer snapshot the way a concurrent replica path would: through swap.
	o, err := st.Ontology(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	if !h.swap(next) {
		t.Fatal("newer snapshot not installed")
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g := h.Current().Generation; g != newer || g == old {
		t.Errorf("serving generation %d after the slow load of %d finished; want %d", g, old, newer)
	}
}
