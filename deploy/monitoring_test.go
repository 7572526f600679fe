package deploy

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// The monitoring files must agree with each other and with the compose file: Prometheus scrapes
// the port the backend serves its metrics on, under the job the dashboard selects; Grafana's data
// source has the uid every panel names and points at the prometheus service; the files compose
// mounts exist. (`promtool check config` and a real scrape run in .ci/metrics.sh.)

func TestBackendHealthcheck(t *testing.T) {
	project, err := loadCompose(t, requiredSecrets)
	if err != nil {
		t.Fatal(err)
	}
	backend := project.Services["backend"]
	hc := backend.HealthCheck
	if hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/app/ontohub", "healthcheck"}) {
		t.Fatalf("backend healthcheck = %+v, want [CMD /app/ontohub healthcheck] (distroless has no shell or curl)", hc)
	}
	if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil || hc.StartPeriod == nil {
		t.Errorf("backend healthcheck needs interval, timeout, retries and start_period: %+v", hc)
	}
	if hc.Timeout != nil && time.Duration(*hc.Timeout) <= 3*time.Second {
		t.Errorf("backend healthcheck timeout %s leaves the 3 s check no room", hc.Timeout)
	}

	final := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	stage := final[len(final)-1]
	i := find(stage, "HEALTHCHECK", "CMD")
	if i < 0 || !strings.HasSuffix(stage[i].args, `CMD ["/app/ontohub", "healthcheck"]`) {
		t.Errorf(`final stage HEALTHCHECK = %v, want exec form CMD ["/app/ontohub", "healthcheck"]`, stage)
	}
}

// prometheusConfig is the part of prometheus.yml these tests read.
type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName      string `yaml:"job_name"`
		MetricsPath  string `yaml:"metrics_path"`
		DNSSDConfigs []struct {
			Names []string `yaml:"names"`
			Type  string   `yaml:"type"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

func TestPrometheusScrapesTheBackendsMetrics(t *testing.T) {
	project, err := loadCompose(t, requiredSecrets)
	if err != nil {
		t.Fatal(err)
	}
	prom, ok := project.Services["prometheus"]
	if !ok {
		t.Fatal("no prometheus service")
	}
	configFile := mountedFile(t, prom, "/etc/prometheus/prometheus.yml")
	if !slices.Contains(prom.Command, "--config.file=/etc/prometheus/prometheus.yml") {
		t.Errorf("prometheus command = %q, want --config.file=/etc/prometheus/prometheus.yml", prom.Command)
	}
	if !hasNamedVolume(project, prom, "/prometheus") {
		t.Errorf("prometheus keeps its data in no named volume at /prometheus: %+v", prom.Volumes)
	}
	for _, p := range prom.Ports {
		if p.HostIP != "127.0.0.1" {
			t.Errorf("prometheus port %+v is published beyond the loopback interface; it has no authentication", p)
		}
	}

	var cfg prometheusConfig
	if err := yaml.Unmarshal([]byte(readRepoFile(t, configFile)), &cfg); err != nil {
		t.Fatalf("%s: %v", configFile, err)
	}
	_, metricsPort, err := net.SplitHostPort(envValue(project.Services["backend"], "METRICS_ADDR"))
	if err != nil {
		t.Fatalf("backend METRICS_ADDR: %v", err)
	}
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0].JobName != "ontohub" || len(cfg.ScrapeConfigs[0].DNSSDConfigs) != 1 {
		t.Fatalf("%s: want one scrape job ontohub with one dns_sd_config; have %+v", configFile, cfg.ScrapeConfigs)
	}
	job := cfg.ScrapeConfigs[0]
	sd := job.DNSSDConfigs[0]
	if job.MetricsPath != "/metrics" || !slices.Equal(sd.Names, []string{"backend"}) || sd.Type != "A" || strconv.Itoa(sd.Port) != metricsPort {
		t.Errorf("scrape job %+v, want /metrics on every backend address at port %s (METRICS_ADDR)", job, metricsPort)
	}
	for _, p := range project.Services["backend"].Ports {
		if strconv.Itoa(int(p.Target)) == metricsPort {
			t.Errorf("the backend publishes its metrics port %s; only Prometheus needs it", metricsPort)
		}
	}
}

func TestGrafanaIsProvisionedWithTheDashboard(t *testing.T) {
	project, err := loadCompose(t, requiredSecrets)
	if err != nil {
		t.Fatal(err)
	}
	grafana := project.Services["grafana"]
	provisioning := mountedFile(t, grafana, "/etc/grafana/provisioning")
	dashboards := mountedFile(t, grafana, "/etc/grafana/dashboards")

	var datasources struct {
		Datasources []struct {
			UID, Type, URL string
			IsDefault      bool `yaml:"isDefault"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, filepath.Join(provisioning, "datasources", "prometheus.yml"))), &datasources); err != nil {
		t.Fatal(err)
	}
	if len(datasources.Datasources) != 1 {
		t.Fatalf("want one provisioned data source, have %+v", datasources.Datasources)
	}
	ds := datasources.Datasources[0]
	if ds.Type != "prometheus" || ds.URL != "http://prometheus:9090" || !ds.IsDefault {
		t.Errorf("data source %+v, want the default, of type prometheus, at http://prometheus:9090", ds)
	}

	var providers struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, filepath.Join(provisioning, "dashboards", "ontohub.yml"))), &providers); err != nil {
		t.Fatal(err)
	}
	if len(providers.Providers) != 1 || providers.Providers[0].Type != "file" || providers.Providers[0].Options.Path != "/etc/grafana/dashboards" {
		t.Errorf("dashboard providers %+v, want one file provider reading /etc/grafana/dashboards", providers.Providers)
	}
	if home := envValue(grafana, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"); home != "/etc/grafana/dashboards/ontohub.json" {
		t.Errorf("grafana home dashboard = %q, want the provisioned one", home)
	}

	var dashboard struct {
		UID    string
		Panels []struct {
			Type       string
			Title      string
			Datasource *struct{ UID string }
			Targets    []struct {
				Datasource struct{ UID string }
				Expr       string
			}
		}
	}
	if err := json.Unmarshal([]byte(readRepoFile(t, filepath.Join(dashboards, "ontohub.json"))), &dashboard); err != nil {
		t.Fatal(err)
	}
	queries := 0
	for _, p := range dashboard.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != ds.UID {
			t.Errorf("panel %q does not use the provisioned data source %q", p.Title, ds.UID)
		}
		for _, q := range p.Targets {
			queries++
			if q.Datasource.UID != ds.UID || q.Expr == "" {
				t.Errorf("panel %q: query %q of data source %q", p.Title, q.Expr, q.Datasource.UID)
			}
		}
	}
	if queries < 20 {
		t.Errorf("the dashboard has %d queries; it should show traffic, latency, errors, 429s, the pool, ingests and drafts", queries)
	}
}

// mountedFile returns the repository path s bind-mounts at target, failing unless it exists.
func mountedFile(t *testing.T, s types.ServiceConfig, target string) string {
	t.Helper()
	root := filepath.Dir(repoFile(t, "docker-compose.yml"))
	for _, v := range s.Volumes {
		if v.Target != target {
			continue
		}
		if v.Type != types.VolumeTypeBind || !v.ReadOnly {
			t.Errorf("%s is mounted as %s (read only %v), want a read-only bind mount from the repository", target, v.Type, v.ReadOnly)
		}
		rel, err := filepath.Rel(root, v.Source)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("%s comes from %s, outside the repository", target, v.Source)
		}
		if _, err := os.Stat(repoFile(t, rel)); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		return rel
	}
	t.Fatalf("nothing is mounted at %s; have %+v", target, s.Volumes)
	return ""
}
