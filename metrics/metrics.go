// Package metrics holds ontohub's Prometheus instruments and serves them in the Prometheus text
// format.
//
// The event instruments (requests, rate-limit decisions, drafts, ingests) are package-level
// values, an exception to the house rule against package globals: like expvar, they count facts
// about the one process, and every package that sees an event increments them without a handle
// threaded through its constructors (metrics.DraftsCreated.Inc()). They hold no configuration
// and nothing reads them but a scrape. The gauges that describe a running server's parts (the
// database pool, the snapshot, the rate-limit store) are read at scrape time through Sources, so
// Handler can be built for any number of servers, in tests too, without registering twice.
//
// Every label value is bounded: route patterns and a fixed set of methods, classes, outcomes and
// kinds. Raw paths never become labels (a draft's path holds its capability token).
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every ontohub series.
const namespace = "ontohub"

// Outcomes of a run or a check, the values of the "outcome" labels.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// latencyBuckets are the request-duration histogram's bounds, in seconds: reads answered from
// the in-memory snapshot take well under a millisecond, draft writes a few milliseconds, and
// the query timeout is 10 s.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

var (
	// requests counts answered requests by route pattern, method and status class (2xx…5xx).
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status class.",
	}, []string{"route", "method", "code_class"})
	// requestDuration is the time from the request's arrival to the end of its answer.
	requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern and method.",
		Buckets: latencyBuckets,
	}, []string{"route", "method"})
	// inFlight is the number of requests being answered now.
	inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "http_requests_in_flight",
		Help: "HTTP requests being answered now.",
	})

	// rateLimitDecisions counts the rate limiter's decisions by class and decision.
	rateLimitDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "ratelimit_decisions_total",
		Help: "Rate-limit checks by class and decision (allowed, limited, error: let through on a limiter fault).",
	}, []string{"class", "decision"})

	// DraftsCreated counts drafts created.
	DraftsCreated = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "drafts_created_total",
		Help: "Drafts created.",
	})
	// DraftValidations counts draft validations by outcome: ValidationValid, ValidationInvalid
	// (the draft has error findings) or OutcomeFailure (the validation could not run).
	DraftValidations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "draft_validations_total",
		Help: "Draft validations by outcome (valid, invalid, failure).",
	}, []string{"outcome"})
	// DraftSubmits counts drafts submitted for review by outcome (OutcomeSuccess, OutcomeFailure).
	DraftSubmits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "draft_submits_total",
		Help: "Draft submissions by outcome (success, failure).",
	}, []string{"outcome"})

	// ingestRuns counts ingest runs by source and outcome.
	ingestRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "ingest_runs_total",
		Help: "Ingest runs in this process by source (ingest: serve --ingest; sync: git sync) and outcome.",
	}, []string{"source", "outcome"})
	// ingestDuration is how long ingest runs took.
	ingestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "ingest_duration_seconds",
		Help:    "Duration of ingest runs in this process by source.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
	}, []string{"source"})
	// ingestLast is when the last run of each source and outcome ended.
	ingestLast = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "ingest_last_run_timestamp_seconds",
		Help: "Unix time the last ingest run of each source and outcome ended.",
	}, []string{"source", "outcome"})
)

// Outcomes of a draft validation, besides OutcomeFailure.
const (
	ValidationValid   = "valid"
	ValidationInvalid = "invalid"
)

// Sources of an ingest run, the values of the "source" label.
const (
	SourceIngest = "ingest"
	SourceSync   = "sync"
)

func init() {
	// Every series of a labelled instrument exists from the start (at 0), so a dashboard's rate()
	// and a CI check find it before the first event of its kind.
	for _, outcome := range []string{ValidationValid, ValidationInvalid, OutcomeFailure} {
		DraftValidations.WithLabelValues(outcome)
	}
	for _, outcome := range []string{OutcomeSuccess, OutcomeFailure} {
		DraftSubmits.WithLabelValues(outcome)
		for _, source := range []string{SourceIngest, SourceSync} {
			ingestRuns.WithLabelValues(source, outcome)
		}
	}
}

// ObserveIngest records one ingest run of source (SourceIngest, SourceSync) that began at start
// and ended now with err.
func ObserveIngest(source string, start time.Time, err error) {
	outcome := OutcomeSuccess
	if err != nil {
		outcome = OutcomeFailure
	}
	ingestRuns.WithLabelValues(source, outcome).Inc()
	ingestDuration.WithLabelValues(source).Observe(time.Since(start).Seconds())
	ingestLast.WithLabelValues(source, outcome).SetToCurrentTime()
}

// RateLimitDecision records one decision of the rate limiter: allowed, limited, or let through
// because the limiter failed (err). It fits ratelimit.Config.OnDecision.
func RateLimitDecision(class string, allowed bool, err error) {
	decision := "allowed"
	switch {
	case err != nil:
		decision = "error"
	case !allowed:
		decision = "limited"
	}
	rateLimitDecisions.WithLabelValues(class, decision).Inc()
}

// Handler serves the metrics of the process and of the parts src reads, in the Prometheus text
// format. Each call builds a registry of its own.
func Handler(src Sources) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		requests, requestDuration, inFlight, rateLimitDecisions,
		DraftsCreated, DraftValidations, DraftSubmits,
		ingestRuns, ingestDuration, ingestLast,
		sourceCollector{src},
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A collector that fails leaves its series out; the rest are still served.
		ErrorHandling: promhttp.ContinueOnError,
	})
}
