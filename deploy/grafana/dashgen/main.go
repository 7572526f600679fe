// Command dashgen writes the Grafana dashboard of ontohub's metrics (see the metrics package) to
// deploy/grafana/dashboards/ontohub.json, where the compose stack's Grafana is provisioned from.
// The dashboard is code so that it is reviewed as code and cannot drift from what is checked in:
// CI runs go generate ./... and fails on a diff, and .ci/metrics.sh runs every query in it
// against a real Prometheus scraping a real server.
package main

//go:generate go run . -o ../dashboards/ontohub.json

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

func main() {
	out := flag.String("o", "", "file to write the dashboard JSON to (default: stdout)")
	flag.Parse()
	b, err := dashboardJSON()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dashgen:", err)
		os.Exit(1)
	}
	if *out == "" {
		_, err = os.Stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dashgen:", err)
		os.Exit(1)
	}
}

// datasourceUID is the uid of the Prometheus data source provisioned beside the dashboard
// (deploy/grafana/provisioning/datasources/prometheus.yml).
const datasourceUID = "prometheus"

// job is the scrape job of the ontohub servers (deploy/prometheus/prometheus.yml); the Go and
// process series, which every Prometheus target has, are selected by it.
const job = `job="ontohub"`

// query is one PromQL expression of a panel and its series' legend.
type query struct{ expr, legend string }

// panel is one panel: a time series graph, or a stat (a single big value per series).
type panel struct {
	title, description, unit string
	stat                     bool
	// width is in grid columns (24 across); every panel is 8 rows high.
	width   uint32
	queries []query
}

// row is a titled row of panels.
type row struct {
	title  string
	panels []panel
}

// quantile is the query of one latency quantile by route.
func quantile(q string) query {
	return query{`histogram_quantile(` + q + `, sum by (route, le) (rate(ontohub_http_request_duration_seconds_bucket[$__rate_interval])))`, "{{route}}"}
}

// rows is the dashboard, top to bottom.
var rows = []row{
	{"Traffic", []panel{
		{title: "Requests by route", unit: "reqps", width: 12, queries: []query{
			{`sum by (route) (rate(ontohub_http_requests_total[$__rate_interval]))`, "{{route}}"},
		}},
		{title: "Errors (4xx, 5xx) by route", unit: "reqps", width: 8, queries: []query{
			{`sum by (route, code_class) (rate(ontohub_http_requests_total{code_class=~"4xx|5xx"}[$__rate_interval]))`, "{{code_class}} {{route}}"},
		}},
		{title: "In flight", unit: "short", width: 4, queries: []query{
			{`sum(ontohub_http_requests_in_flight)`, "in flight"},
		}},
	}},
	{"Latency", []panel{
		{title: "p50 by route", unit: "s", width: 8, queries: []query{quantile("0.5")}},
		{title: "p95 by route", unit: "s", width: 8, queries: []query{quantile("0.95")}},
		{title: "p99 by route", unit: "s", width: 8, queries: []query{quantile("0.99")}},
	}},
	{"Rate limits", []panel{
		{title: "429s by class", unit: "reqps", width: 12,
			description: "Requests refused for being over their client's budget.",
			queries: []query{
				{`sum by (class) (rate(ontohub_ratelimit_decisions_total{decision="limited"}[$__rate_interval]))`, "{{class}}"},
			}},
		{title: "Decisions", unit: "reqps", width: 8, queries: []query{
			{`sum by (decision) (rate(ontohub_ratelimit_decisions_total[$__rate_interval]))`, "{{decision}}"},
		}},
		{title: "Budget store", stat: true, width: 4,
			description: "Where budgets live; degraded: Redis unreachable, budgets kept in each process.",
			queries: []query{
				{`max by (store) (ontohub_ratelimit_store) == 1`, "{{store}}"},
			}},
	}},
	{"Database pool", []panel{
		{title: "Pool saturation", unit: "percentunit", width: 8,
			description: "Connections in use over DB_MAX_CONNS, per replica.",
			queries: []query{
				{`ontohub_db_pool_acquired_connections / ontohub_db_pool_max_connections`, "{{instance}}"},
			}},
		{title: "Connections", unit: "short", width: 8, queries: []query{
			{`sum(ontohub_db_pool_acquired_connections)`, "acquired"},
			{`sum(ontohub_db_pool_idle_connections)`, "idle"},
			{`sum(ontohub_db_pool_max_connections)`, "max"},
		}},
		{title: "Acquire waits and time", unit: "short", width: 8,
			description: "Acquires per second that waited for a free connection, and the mean time an acquire took (ms).",
			queries: []query{
				{`sum(rate(ontohub_db_pool_acquire_waits_total[$__rate_interval]))`, "waits/s"},
				{`1000 * sum(rate(ontohub_db_pool_acquire_duration_seconds_total[$__rate_interval])) / sum(rate(ontohub_db_pool_acquires_total[$__rate_interval]))`, "mean acquire ms"},
			}},
	}},
	{"Ontology, ingest and sync", []panel{
		{title: "Served commit", stat: true, width: 6, queries: []query{
			{`max by (commit) (ontohub_ontology_info)`, "{{commit}}"},
		}},
		{title: "Snapshot generation", stat: true, unit: "none", width: 3, queries: []query{
			{`max(ontohub_snapshot_generation)`, "generation"},
		}},
		{title: "Snapshot age", stat: true, unit: "s", width: 3,
			description: "Time since the served generation was ingested.",
			queries: []query{
				{`max(ontohub_snapshot_age_seconds)`, "age"},
			}},
		{title: "Stale replicas", stat: true, unit: "none", width: 3,
			description: "Replicas whose last snapshot load failed (they serve the previous one).",
			queries: []query{
				{`sum(ontohub_snapshot_stale)`, "stale"},
			}},
		{title: "Since last successful run", stat: true, unit: "s", width: 9, queries: []query{
			{`time() - max by (source) (ontohub_ingest_last_run_timestamp_seconds{outcome="success"})`, "{{source}}"},
		}},
		{title: "Ingest and sync runs", unit: "short", width: 8, queries: []query{
			{`sum by (source, outcome) (increase(ontohub_ingest_runs_total[1h]))`, "{{source}} {{outcome}}"},
		}},
		{title: "Run duration", unit: "s", width: 8, queries: []query{
			{`max by (source) (ontohub_ingest_duration_seconds_sum / ontohub_ingest_duration_seconds_count)`, "{{source}} mean"},
		}},
		{title: "Entities by kind", unit: "short", width: 4, queries: []query{
			{`max by (kind) (ontohub_ontology_entities)`, "{{kind}}"},
		}},
		{title: "Last ingest's changes", unit: "short", width: 4,
			description: "What the served generation's ingest or sync added, updated and deleted, by kind.",
			queries: []query{
				{`max by (kind, change) (ontohub_ontology_ingest_changes{change!="unchanged"})`, "{{change}} {{kind}}"},
			}},
	}},
	{"Drafts", []panel{
		{title: "Drafts created", unit: "short", width: 8, queries: []query{
			{`sum(increase(ontohub_drafts_created_total[1h]))`, "created per hour"},
		}},
		{title: "Validations by outcome", unit: "short", width: 8, queries: []query{
			{`sum by (outcome) (increase(ontohub_draft_validations_total[1h]))`, "{{outcome}}"},
		}},
		{title: "Submits by outcome", unit: "short", width: 8, queries: []query{
			{`sum by (outcome) (increase(ontohub_draft_submits_total[1h]))`, "{{outcome}}"},
		}},
	}},
	{"Process", []panel{
		{title: "Resident memory", unit: "bytes", width: 8, queries: []query{
			{`process_resident_memory_bytes{` + job + `}`, "{{instance}}"},
		}},
		{title: "CPU", unit: "percentunit", width: 8, queries: []query{
			{`rate(process_cpu_seconds_total{` + job + `}[$__rate_interval])`, "{{instance}}"},
		}},
		{title: "Goroutines", unit: "short", width: 8, queries: []query{
			{`go_goroutines{` + job + `}`, "{{instance}}"},
		}},
	}},
}

// dashboardJSON builds the dashboard and encodes it, indented, with a final newline.
func dashboardJSON() ([]byte, error) {
	ds := common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(datasourceUID)}
	d := dashboard.NewDashboardBuilder("Ontology Hub").
		Uid("ontohub").
		Description("ontohub's Prometheus metrics: traffic, latency, errors, rate limits, the database pool, the served ontology, ingest and sync, drafts. Generated by deploy/grafana/dashgen; edit that, not this.").
		Tags([]string{"ontohub"}).
		Refresh("30s").
		Time("now-1h", "now").
		Timezone(common.TimeZoneBrowser).
		Readonly()
	for _, r := range rows {
		d.WithRow(dashboard.NewRowBuilder(r.title))
		for _, p := range r.panels {
			d.WithPanel(build(p, ds))
		}
	}
	built, err := d.Build()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(built, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// build turns one panel into its Grafana builder.
func build(p panel, ds common.DataSourceRef) cog.Builder[dashboard.Panel] {
	var targets []cog.Builder[variants.Dataquery]
	for i, q := range p.queries {
		targets = append(targets, prometheus.NewDataqueryBuilder().
			Datasource(ds).
			RefId(string(rune('A'+i))).
			Expr(q.expr).
			LegendFormat(q.legend))
	}
	if p.stat {
		s := stat.NewPanelBuilder().Title(p.title).Datasource(ds).Height(8).Span(p.width).
			GraphMode(common.BigValueGraphModeNone).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
		if p.unit == "" {
			s.TextMode(common.BigValueTextModeName) // the legend is the value (a commit, a store)
		} else {
			s.Unit(p.unit)
		}
		if p.description != "" {
			s.Description(p.description)
		}
		for _, t := range targets {
			s.WithTarget(t)
		}
		return s
	}
	ts := timeseries.NewPanelBuilder().Title(p.title).Datasource(ds).Height(8).Span(p.width).
		Unit(p.unit).Min(0).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
	if p.description != "" {
		ts.Description(p.description)
	}
	for _, t := range targets {
		ts.WithTarget(t)
	}
	return ts
}
