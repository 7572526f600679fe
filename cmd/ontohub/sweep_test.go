package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ontohub/ontohub/internal/testlog"
	"github.com/ontohub/ontohub/store"
)

func TestDraftSweeperRunsAtStartAndUntilCancelled(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	marker := fmt.Sprintf("sweeper-test-%d", time.Now().UnixNano())
	if _, err := st.Pool().Exec(ctx, `
		INSERT INTO drafts (capability_hash, payload, source_wiki, expires_at)
		VALUES (md5(random()::text) || md5(random()::text), '{}', $1, now() - INTERVAL '1 hour'),
		       (md5(random()::text) || md5(random()::text), '{}', $1, now() - INTERVAL '1000 hours')`, marker); err != nil {
		t.Fatal(err)
	}

	logs := &testlog.Buffer{}
	sweepCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		// An interval far beyond the test: only the sweep at start can have done the work.
		runDraftSweeper(sweepCtx, st, time.Hour, 720*time.Hour, slog.New(slog.NewTextHandler(logs, nil)))
		close(done)
	}()

	deadline := time.Now().Add(10 * time.Second)
	for {
		var expired, total int
		if err := st.Pool().QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE status = 'expired'), count(*)
			FROM drafts WHERE source_wiki = $1`, marker).Scan(&expired, &total); err != nil {
			t.Fatal(err)
		}
		if expired == 1 && total == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the first sweep: %d expired of %d drafts, want 1 of 1", expired, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done // returns once cancelled, without waiting for the next tick
	if out := logs.String(); !strings.Contains(out, "draft sweep") || !strings.Contains(out, "purged=") {
		t.Errorf("sweep not logged with its counts:\n%s", out)
	}
}
