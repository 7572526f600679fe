package metrics

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Sources are the parts of a running server whose state is read at each scrape. A nil field
// leaves its series out.
type Sources struct {
	// Pool returns the database pool's statistics (pgxpool.Pool.Stat).
	Pool func() *pgxpool.Stat
	// Snapshot returns the state of the served ontology snapshot.
	Snapshot func() Snapshot
	// RateLimitStore returns where rate-limit budgets live: disabled, memory, redis or degraded
	// (Redis configured but unreachable, budgets kept in-process meanwhile).
	RateLimitStore func() string
}

// Snapshot is what the metrics say about the served ontology snapshot.
type Snapshot struct {
	// Loaded reports whether a snapshot was ever loaded; the other fields are zero until then.
	Loaded bool
	// Stale reports whether the last load failed (the previous snapshot is still served).
	Stale      bool
	Generation int64
	// Commit is the commit of the served generation's ingest ("" when unknown).
	Commit string
	// IngestedAt is when the served generation was ingested; LoadedAt when this replica loaded it.
	IngestedAt, LoadedAt time.Time
	// Entities counts the served entities by kind.
	Entities map[string]int
	// Changes is what the served generation's ingest (or sync) changed, by kind.
	Changes map[string]Changes
}

// Changes counts what one ingest did to the entities of one kind.
type Changes struct{ Added, Updated, Unchanged, Deleted int }

// rateLimitStores are the values of RateLimitStore, each a series of ontohub_ratelimit_store.
var rateLimitStores = []string{"disabled", "memory", "redis", "degraded"}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
}

var (
	poolAcquired       = desc("db_pool_acquired_connections", "Database connections in use.")
	poolIdle           = desc("db_pool_idle_connections", "Database connections idle in the pool.")
	poolTotal          = desc("db_pool_total_connections", "Database connections open (acquired, idle and being opened).")
	poolMax            = desc("db_pool_max_connections", "Largest number of database connections the pool opens (DB_MAX_CONNS).")
	poolAcquires       = desc("db_pool_acquires_total", "Connections acquired from the pool.")
	poolWaits          = desc("db_pool_acquire_waits_total", "Acquires that had to wait because no connection was idle.")
	poolCanceled       = desc("db_pool_canceled_acquires_total", "Acquires given up because the request's context ended.")
	poolAcquireSeconds = desc("db_pool_acquire_duration_seconds_total", "Total time spent acquiring connections.")
	poolWaitSeconds    = desc("db_pool_acquire_wait_duration_seconds_total", "Total time acquires waited for a connection to come free.")
	snapshotLoaded     = desc("snapshot_loaded", "1 once an ontology snapshot is loaded; reads answer 503 before.")
	snapshotStale      = desc("snapshot_stale", "1 when the last snapshot load failed and the previous snapshot is served.")
	snapshotGeneration = desc("snapshot_generation", "Ingest generation of the served snapshot.")
	snapshotAge        = desc("snapshot_age_seconds", "Time since the served generation was ingested.")
	snapshotIngestedAt = desc("snapshot_ingested_timestamp_seconds", "Unix time the served generation was ingested.")
	snapshotLoadedAt   = desc("snapshot_loaded_timestamp_seconds", "Unix time this replica loaded the served snapshot.")
	ontologyInfo       = desc("ontology_info", "The commit of the served ontology, as a label; always 1.", "commit")
	ontologyEntities   = desc("ontology_entities", "Entities in the served snapshot by kind.", "kind")
	ontologyChanges    = desc("ontology_ingest_changes", "What the served generation's ingest changed, by kind and change (added, updated, unchanged, deleted).", "kind", "change")
	rateLimitStore     = desc("ratelimit_store", "1 for where rate-limit budgets live now (disabled, memory, redis, degraded), 0 for the others.", "store")
	rateLimitFallback  = desc("ratelimit_fallback", "1 while Redis is configured but unreachable and budgets are kept in-process.")
	sourceDescriptions = []*prometheus.Desc{
		poolAcquired, poolIdle, poolTotal, poolMax, poolAcquires, poolWaits, poolCanceled, poolAcquireSeconds, poolWaitSeconds,
		snapshotLoaded, snapshotStale, snapshotGeneration, snapshotAge, snapshotIngestedAt, snapshotLoadedAt, ontologyInfo, ontologyEntities, ontologyChanges,
		rateLimitStore, rateLimitFallback,
	}
)

// sourceCollector reads Sources at each scrape.
type sourceCollector struct{ src Sources }

// Describe sends every series the collector may produce.
func (c sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range sourceDescriptions {
		ch <- d
	}
}

// Collect reads each source now.
func (c sourceCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Pool != nil {
		collectPool(ch, c.src.Pool())
	}
	if c.src.Snapshot != nil {
		collectSnapshot(ch, c.src.Snapshot(), time.Now())
	}
	if c.src.RateLimitStore != nil {
		collectRateLimitStore(ch, c.src.RateLimitStore())
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
}

func collectPool(ch chan<- prometheus.Metric, s *pgxpool.Stat) {
	gauge(ch, poolAcquired, float64(s.AcquiredConns()))
	gauge(ch, poolIdle, float64(s.IdleConns()))
	gauge(ch, poolTotal, float64(s.TotalConns()))
	gauge(ch, poolMax, float64(s.MaxConns()))
	counter(ch, poolAcquires, float64(s.AcquireCount()))
	counter(ch, poolWaits, float64(s.EmptyAcquireCount()))
	counter(ch, poolCanceled, float64(s.CanceledAcquireCount()))
	counter(ch, poolAcquireSeconds, s.AcquireDuration().Seconds())
	counter(ch, poolWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
}

func collectSnapshot(ch chan<- prometheus.Metric, s Snapshot, now time.Time) {
	gauge(ch, snapshotLoaded, boolValue(s.Loaded))
	if !s.Loaded {
		return
	}
	gauge(ch, snapshotStale, boolValue(s.Stale))
	gauge(ch, snapshotGeneration, float64(s.Generation))
	gauge(ch, snapshotLoadedAt, unixSeconds(s.LoadedAt))
	if !s.IngestedAt.IsZero() {
		gauge(ch, snapshotIngestedAt, unixSeconds(s.IngestedAt))
		gauge(ch, snapshotAge, now.Sub(s.IngestedAt).Seconds())
	}
	gauge(ch, ontologyInfo, 1, s.Commit)
	for kind, n := range s.Entities {
		gauge(ch, ontologyEntities, float64(n), kind)
	}
	for kind, c := range s.Changes {
		gauge(ch, ontologyChanges, float64(c.Added), kind, "added")
		gauge(ch, ontologyChanges, float64(c.Updated), kind, "updated")
		gauge(ch, ontologyChanges, float64(c.Unchanged), kind, "unchanged")
		gauge(ch, ontologyChanges, float64(c.Deleted), kind, "deleted")
	}
}

func collectRateLimitStore(ch chan<- prometheus.Metric, current string) {
	for _, store := range rateLimitStores {
		gauge(ch, rateLimitStore, boolValue(store == current), store)
	}
	gauge(ch, rateLimitFallback, boolValue(current == "degraded"))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
