package deploy

import (
	"context"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// serviceDefaults are the configuration variables of the ontohub service with
// their documented defaults; .env.example and the compose file must agree.
var serviceDefaults = map[string]string{
	"DATABASE_URL":            "postgres://postgres@127.0.0.1:5432/ontohub?sslmode=disable",
	"LISTEN_ADDR":             ":8080",
	"METRICS_ADDR":            "",
	"LOG_LEVEL":               "info",
	"LOG_FORMAT":              "json",
	"MIGRATE_ON_START":        "true",
	"DEV_DATABASE_URL":        "",
	"DB_MAX_CONNS":            "10",
	"SHUTDOWN_DRAIN":          "5s",
	"SHUTDOWN_TIMEOUT":        "15s",
	"PUBLIC_BASE_URL":         "",
	"ALLOWED_HOSTS":           "",
	"DRAFT_TTL":               "168h",
	"DRAFT_RETENTION":         "720h",
	"DRAFT_SWEEP_INTERVAL":    "1h",
	"MAX_BODY_BYTES":          "1048576",
	"MAX_INFLIGHT_BODY_BYTES": "16777216",
	"MAX_HEADER_BYTES":        "65536",
	"MAX_CONNS":               "10000",
	"MAX_CONNS_PER_ADDR":      "256",
	"MAX_EXPENSIVE_PER_ADDR":  "4",
	"INGEST_MAX_FILE_BYTES":   "1048576",
	"INGEST_MAX_TOTAL_BYTES":  "536870912",
	"RATE_LIMIT_ENABLED":      "true",
	"RATE_LIMIT_DRAFT_CREATE": "20/hour",
	"RATE_LIMIT_DRAFT_READ":   "100/minute",
	"RATE_LIMIT_LIST":         "100/minute",
	"RATE_LIMIT_READ":         "200/minute",
	"RATE_LIMIT_MAX_KEYS":     "65536",
	"RATE_LIMIT_IPV6_PREFIX":  "64",
	"REDIS_URL":               "",
	"TRUSTED_PROXIES":         "",
	"CORS_ALLOWED_ORIGINS":    "",
	"ONTOLOGY_REPO_URL":       "",
	"ONTOLOGY_REPO_REF":       "main",
	"ONTOLOGY_REPO_DIR":       "/tmp/ontohub-repo",
	"SYNC_INTERVAL":           "5m",
	"SUBMIT_AUTHOR_NAME":      "Ontology Hub",
	"SUBMIT_AUTHOR_EMAIL":     "ontohub@localhost",
	"GITHUB_API_URL":          "https://api.github.com",
}

// composeOnly are the variables only docker-compose.yml reads.
var composeOnly = []string{
	"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB",
	"PGADMIN_DEFAULT_EMAIL", "PGADMIN_DEFAULT_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD",
}

// requiredSecrets must come from .env: compose has to refuse to start
// without each of them. The values are arbitrary and unlike any default.
var requiredSecrets = map[string]string{
	"POSTGRES_PASSWORD":          "pg-secret-4f1c",
	"PGADMIN_DEFAULT_EMAIL":      "ops@ontohub.test",
	"PGADMIN_DEFAULT_PASSWORD":   "pgadmin-secret-9a2e",
	"GF_SECURITY_ADMIN_PASSWORD": "grafana-secret-77b0",
}

// repoFile returns the path of a file at the repository root.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, name)
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadCompose loads docker-compose.yml with the real compose loader and only
// the variables in env: neither the process environment nor a local .env
// leaks in. The loader writes COMPOSE_PROJECT_NAME into the map it is given,
// hence the copy.
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(repoFile(t, "docker-compose.yml")),
		ConfigFiles: []types.ConfigFile{{Filename: repoFile(t, "docker-compose.yml")}},
		Environment: types.Mapping(maps.Clone(env)),
	}
	return loader.LoadWithContext(context.Background(), details)
}

func TestComposeRequiresSecrets(t *testing.T) {
	if _, err := loadCompose(t, requiredSecrets); err != nil {
		t.Fatalf("load with all secrets: %v", err)
	}
	for name := range requiredSecrets {
		t.Run(name, func(t *testing.T) {
			env := maps.Clone(requiredSecrets)
			delete(env, name)
			_, err := loadCompose(t, env)
			if err == nil {
				t.Fatalf("compose loaded without %s; it must be required (${%s:?...})", name, name)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error without %s does not name it: %v", name, err)
			}
		})
	}
}

func TestComposeServices(t *testing.T) {
	project, err := loadCompose(t, requiredSecrets)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"backend", "db", "redis", "pgadmin", "grafana", "prometheus"} {
		if _, ok := project.Services[name]; !ok {
			t.Errorf("service %q missing; have %v", name, project.ServiceNames())
		}
	}
	if t.Failed() {
		return
	}

	t.Run("db", func(t *testing.T) {
		db := project.Services["db"]
		if db.Image != "postgres:17-alpine" {
			t.Errorf("db image = %q, want postgres:17-alpine", db.Image)
		}
		hc := db.HealthCheck
		if hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "pg_isready") {
			t.Fatalf("db healthcheck = %+v, want one running pg_isready", hc)
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
			t.Errorf("db healthcheck needs interval, timeout and retries: %+v", hc)
		}
		if !hasNamedVolume(project, db, "/var/lib/postgresql/data") {
			t.Errorf("db has no named volume at /var/lib/postgresql/data: %+v", db.Volumes)
		}
		if got := envValue(db, "POSTGRES_PASSWORD"); got != requiredSecrets["POSTGRES_PASSWORD"] {
			t.Errorf("db POSTGRES_PASSWORD = %q, want the value from the environment", got)
		}
	})

	t.Run("backend", func(t *testing.T) {
		backend := project.Services["backend"]
		if backend.Build == nil || backend.Build.Context != filepath.Dir(repoFile(t, "Dockerfile")) {
			t.Errorf("backend build = %+v, want context . (the repository root)", backend.Build)
		}
		if dep, ok := backend.DependsOn["db"]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("backend depends_on db = %+v, want condition service_healthy", dep)
		}
		if !publishes(backend, 8080, "8080") {
			t.Errorf("backend ports = %+v, want 8080:8080", backend.Ports)
		}
		if got := strings.Join(backend.Command, " "); got != "serve" {
			t.Errorf("backend command = %q, want serve", got)
		}
		wantURL := "postgres://ontohub:" + requiredSecrets["POSTGRES_PASSWORD"] + "@db:5432/ontohub?sslmode=disable"
		if got := envValue(backend, "DATABASE_URL"); got != wantURL {
			t.Errorf("backend DATABASE_URL = %q, want %q", got, wantURL)
		}
		if got := envValue(backend, "REDIS_URL"); got != "redis://redis:6379/0" {
			t.Errorf("backend REDIS_URL = %q, want redis://redis:6379/0", got)
		}
		if got := envValue(backend, "MIGRATE_ON_START"); got != "true" {
			t.Errorf("backend MIGRATE_ON_START = %q, want true", got)
		}
		// With nothing but the secrets set, every other variable must fall
		// back to the service's own default, so the stack behaves like a
		// local run.
		fixed := []string{"DATABASE_URL", "REDIS_URL", "LISTEN_ADDR", "MIGRATE_ON_START", "METRICS_ADDR"}
		for name, def := range serviceDefaults {
			if slices.Contains(fixed, name) {
				continue
			}
			v, ok := backend.Environment[name]
			if !ok || v == nil {
				t.Errorf("backend environment lacks %s", name)
				continue
			}
			if *v != def {
				t.Errorf("backend %s = %q, want default %q", name, *v, def)
			}
		}
	})

	t.Run("redis", func(t *testing.T) {
		redis := project.Services["redis"]
		if !strings.HasPrefix(redis.Image, "redis:7") {
			t.Errorf("redis image = %q, want redis:7-alpine", redis.Image)
		}
		if redis.HealthCheck == nil {
			t.Error("redis has no healthcheck; backend waits for it")
		}
	})

	t.Run("admin tools", func(t *testing.T) {
		if got := envValue(project.Services["pgadmin"], "PGADMIN_DEFAULT_PASSWORD"); got != requiredSecrets["PGADMIN_DEFAULT_PASSWORD"] {
			t.Errorf("pgadmin password = %q, want the value from the environment", got)
		}
		if got := envValue(project.Services["grafana"], "GF_SECURITY_ADMIN_PASSWORD"); got != requiredSecrets["GF_SECURITY_ADMIN_PASSWORD"] {
			t.Errorf("grafana password = %q, want the value from the environment", got)
		}
	})
}

func envValue(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}

func hasNamedVolume(p *types.Project, s types.ServiceConfig, target string) bool {
	for _, v := range s.Volumes {
		if v.Target != target || v.Type != types.VolumeTypeVolume {
			continue
		}
		if _, declared := p.Volumes[v.Source]; declared {
			return true
		}
	}
	return false
}

func publishes(s types.ServiceConfig, target uint32, published string) bool {
	for _, p := range s.Ports {
		if p.Target == target && p.Published == published {
			return true
		}
	}
	return false
}

// secretName matches environment keys whose value is a credential.
var secretName = regexp.MustCompile(`PASSWORD|SECRET|TOKEN`)

// TestComposeNoSecretLiterals reads the file as written, before
// interpolation: a credential may only be a required ${VAR:?...}.
func TestComposeNoSecretLiterals(t *testing.T) {
	raw := readRepoFile(t, "docker-compose.yml")
	var doc struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("docker-compose.yml: %v (environment must be a mapping)", err)
	}
	for service, s := range doc.Services {
		for key, value := range s.Environment {
			if secretName.MatchString(key) && !regexp.MustCompile(`^\$\{`+key+`:\?[^}]*\}$`).MatchString(value) {
				t.Errorf("%s.environment.%s = %q, want ${%s:?...}", service, key, value, key)
			}
		}
	}
	dbURL := doc.Services["backend"].Environment["DATABASE_URL"]
	if !strings.Contains(dbURL, "${POSTGRES_PASSWORD:?") || !strings.Contains(dbURL, "@db:") {
		t.Errorf("backend DATABASE_URL = %q, want it built from ${POSTGRES_PASSWORD:?...} for host db", dbURL)
	}

	// The placeholders of .env.example must not have been pasted in.
	for key, value := range envExample(t) {
		if secretName.MatchString(key) && value != "" && strings.Contains(raw, value) {
			t.Errorf("docker-compose.yml contains the .env.example value of %s (%q)", key, value)
		}
	}
}

// envExample reads .env.example with compose's own dotenv parser, so the
// values are what `docker compose` would see in a copied .env.
func envExample(t *testing.T) map[string]string {
	t.Helper()
	vars, err := dotenv.Read(repoFile(t, ".env.example"))
	if err != nil {
		t.Fatalf(".env.example: %v", err)
	}
	return vars
}

// TestComposeWithEnvExample loads the stack the way a user first starts it:
// with .env.example copied to .env.
func TestComposeWithEnvExample(t *testing.T) {
	env := envExample(t)
	project, err := loadCompose(t, env)
	if err != nil {
		t.Fatalf("load with .env.example: %v", err)
	}
	wantURL := "postgres://" + env["POSTGRES_USER"] + ":" + env["POSTGRES_PASSWORD"] + "@db:5432/" + env["POSTGRES_DB"] + "?sslmode=disable"
	if got := envValue(project.Services["backend"], "DATABASE_URL"); got != wantURL {
		t.Errorf("backend DATABASE_URL = %q, want %q", got, wantURL)
	}
	for _, name := range []string{"POSTGRES_USER", "POSTGRES_DB"} {
		if got := envValue(project.Services["db"], name); got != env[name] {
			t.Errorf("db %s = %q, want %q from .env.example", name, got, env[name])
		}
	}
}

func TestEnvExample(t *testing.T) {
	vars := envExample(t)
	for name, def := range serviceDefaults {
		got, ok := vars[name]
		if !ok {
			t.Errorf(".env.example lacks %s", name)
			continue
		}
		if got != def {
			t.Errorf(".env.example %s = %q, want the default %q", name, got, def)
		}
	}
	for _, name := range composeOnly {
		if _, ok := vars[name]; !ok {
			t.Errorf(".env.example lacks %s", name)
		}
	}
	// Each variable carries a one-line comment directly above it.
	lines := strings.Split(readRepoFile(t, ".env.example"), "\n")
	for i, line := range lines {
		key, _, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if i == 0 || !strings.HasPrefix(lines[i-1], "# ") {
			t.Errorf(".env.example: %s has no comment above it", key)
		}
	}
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// parseDockerfile splits a Dockerfile into stages of instructions. It knows
// comments and backslash continuations, which is all this Dockerfile uses.
func parseDockerfile(t *testing.T, text string) [][]instruction {
	t.Helper()
	var stages [][]instruction
	var pending strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if body, cont := strings.CutSuffix(trimmed, `\`); cont {
			pending.WriteString(body + " ")
			continue
		}
		pending.WriteString(trimmed)
		full := pending.String()
		pending.Reset()
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
			}
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	return stages
}

// fromImage returns the image of a FROM instruction, skipping flags such as
// --platform.
func fromImage(in instruction) string {
	for _, f := range strings.Fields(in.args) {
		if !strings.HasPrefix(f, "--") {
			return f
		}
	}
	return ""
}

func find(stage []instruction, cmd, contains string) int {
	for i, in := range stage {
		if in.cmd == cmd && strings.Contains(in.args, contains) {
			return i
		}
	}
	return -1
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a final stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	t.Run("build stage", func(t *testing.T) {
		if img := fromImage(build[0]); !strings.HasPrefix(img, "golang:1.26") {
			t.Errorf("builder image = %q, want golang:1.26", img)
		}
		copyMod := find(build, "COPY", "go.mod go.sum")
		download := find(build, "RUN", "go mod download")
		copyAll := find(build, "COPY", ". .")
		if copyMod < 0 || download < copyMod || copyAll < download {
			t.Errorf("want COPY go.mod go.sum, RUN go mod download, COPY . . in that order; at %d, %d, %d", copyMod, download, copyAll)
		}
		goBuild := find(build, "RUN", "go build")
		if goBuild < 0 {
			t.Fatal("no RUN go build in the builder")
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}", "./cmd/ontohub"} {
			if !strings.Contains(build[goBuild].args, want) {
				t.Errorf("go build lacks %q: %s", want, build[goBuild].args)
			}
		}
		if arg := find(build, "ARG", "VERSION"); arg < 0 || arg > goBuild {
			t.Error("ARG VERSION must be declared in the builder before go build")
		}
	})

	t.Run("final stage", func(t *testing.T) {
		user := -1
		for i, in := range final {
			if in.cmd == "USER" {
				user = i
			}
		}
		if user < 0 {
			t.Fatal("final stage has no USER")
		}
		name, _, _ := strings.Cut(final[user].args, ":")
		if name == "root" || name == "0" {
			t.Errorf("final stage runs as %q", final[user].args)
		}
		if find(final, "EXPOSE", "8080") < 0 {
			t.Error("final stage does not EXPOSE 8080")
		}
		if find(final, "ENTRYPOINT", "ontohub") < 0 {
			t.Error("ENTRYPOINT is not the ontohub binary")
		}
		if find(final, "CMD", `"serve"`) < 0 {
			t.Error(`CMD is not ["serve"]`)
		}
		if find(final, "COPY", "/app/examples") < 0 {
			t.Error("final stage does not COPY the examples to /app/examples")
		}
		// Distroless has no shell, curl or wget; only an exec-form check that
		// runs the binary itself could work there.
		if img := fromImage(final[0]); strings.Contains(img, "distroless") {
			for _, in := range final {
				if in.cmd != "HEALTHCHECK" || in.args == "NONE" {
					continue
				}
				_, check, _ := strings.Cut(in.args, "CMD ")
				if !strings.HasPrefix(check, "[") || strings.Contains(check, "curl") || strings.Contains(check, "wget") {
					t.Errorf("HEALTHCHECK %s cannot run in %s: no shell, curl or wget there", in.args, img)
				}
			}
		}
	})

	t.Run("copy sources", func(t *testing.T) {
		ignore := dockerignore(t)
		for _, stage := range stages {
			for _, in := range stage {
				if in.cmd != "COPY" || strings.Contains(in.args, "--from=") {
					continue
				}
				fields := strings.Fields(in.args)
				for _, src := range fields[:len(fields)-1] {
					if strings.HasPrefix(src, "--") || src == "." {
						continue
					}
					src = strings.TrimSuffix(src, "/")
					if _, err := os.Stat(repoFile(t, src)); err != nil {
						t.Errorf("COPY %s: %v", src, err)
					}
					if ignore(src) {
						t.Errorf("COPY %s: excluded by .dockerignore", src)
					}
				}
			}
		}
	})
}

// dockerignore returns a matcher for .dockerignore's exclusions. It follows
// the format closely enough for this file: anchored patterns, a leading
// "**/" matching at any depth, and directories excluding what they contain.
// It has no "!" re-inclusion, so the test fails if one appears.
func dockerignore(t *testing.T) func(name string) bool {
	t.Helper()
	var patterns []string
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: re-inclusion %q is beyond this test's matcher", line)
		}
		patterns = append(patterns, strings.TrimSuffix(line, "/"))
	}
	return func(name string) bool {
		parts := strings.Split(name, "/")
		for _, p := range patterns {
			anyDepth := strings.HasPrefix(p, "**/")
			p = strings.TrimPrefix(p, "**/")
			for start := 0; start < len(parts); start++ {
				if start > 0 && !anyDepth {
					break
				}
				for end := start + 1; end <= len(parts); end++ {
					if ok, _ := path.Match(p, strings.Join(parts[start:end], "/")); ok {
						return true
					}
				}
			}
		}
		return false
	}
}

func TestDockerignore(t *testing.T) {
	ignore := dockerignore(t)
	for name, want := range map[string]bool{
		".env":                     true,
		".env.local":               true,
		".git/config":              true,
		"sdk/typescript/x.ts":      true,
		"store/store_test.go":      true,
		"go.mod":                   false,
		"go.sum":                   false,
		"embed.go":                 false,
		"openapi.yaml":             false,
		"schema.hcl":               false,
		"cmd/ontohub/main.go":      false,
		"migrations/x.sql":         false,
		"examples/ontology/a.json": false,
	} {
		if got := ignore(name); got != want {
			t.Errorf(".dockerignore excludes %s = %v, want %v", name, got, want)
		}
	}
}

func TestTaskfile(t *testing.T) {
	var taskfile struct {
		Version string `yaml:"version"`
		Tasks   map[string]struct {
			Cmds []yaml.Node `yaml:"cmds"`
		} `yaml:"tasks"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "Taskfile.yml")), &taskfile); err != nil {
		t.Fatalf("Taskfile.yml: %v", err)
	}
	if taskfile.Version != "3" {
		t.Errorf("Taskfile version = %q, want 3", taskfile.Version)
	}
	// Each required task and text its commands must contain.
	required := map[string][]string{
		"generate":       {"go generate ./...", "npm --prefix sdk/typescript run generate"},
		"build":          {"go build", "./cmd/ontohub"},
		"run":            {"go run ./cmd/ontohub serve --ingest ./examples/ontology"},
		"test":           {"go test -p 2 ./..."},
		"lint":           {"go vet ./...", "npm --prefix tools ci", "npm --prefix tools run lint"},
		"migrate:diff":   {"migrate diff {{.CLI_ARGS}}"},
		"migrate:apply":  {"migrate apply"},
		"migrate:status": {"migrate status"},
		"schema:apply":   {"schema apply"},
		"up":             {"docker compose up -d --build"},
		"down":           {"docker compose down"},
	}
	for name, wants := range required {
		task, ok := taskfile.Tasks[name]
		if !ok {
			t.Errorf("Taskfile lacks task %q", name)
			continue
		}
		cmds := commands(t, task.Cmds)
		for _, want := range wants {
			if !slices.ContainsFunc(cmds, func(c string) bool { return strings.Contains(c, want) }) {
				t.Errorf("task %s: no command contains %q; have %q", name, want, cmds)
			}
		}
	}
	// The README documents this exact command; the task must not drift.
	if got := commands(t, taskfile.Tasks["test"].Cmds); !slices.Equal(got, []string{"go test -p 2 ./..."}) {
		t.Errorf("task test runs %q, want exactly [go test -p 2 ./...]", got)
	}
}

// commands returns the shell commands of a task's cmds, written either as
// plain strings or as {cmd: ...} mappings.
func commands(t *testing.T, nodes []yaml.Node) []string {
	t.Helper()
	var cmds []string
	for _, n := range nodes {
		if n.Kind == yaml.ScalarNode {
			cmds = append(cmds, n.Value)
			continue
		}
		var c struct {
			Cmd string `yaml:"cmd"`
		}
		if err := n.Decode(&c); err != nil {
			t.Fatalf("Taskfile cmd at line %d: %v", n.Line, err)
		}
		if c.Cmd != "" {
			cmds = append(cmds, c.Cmd)
		}
	}
	return cmds
}
