package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// brokenConfig would fail loadConfig and points at no database: help must need neither.
func brokenConfig(t *testing.T) map[string]string {
	return map[string]string{"LOG_FORMAT": "xml", "DATABASE_URL": "postgres://postgres@" + closedPort(t) + "/x?sslmode=disable&connect_timeout=1"}
}

func TestEveryCommandsHelpIsTheSameEveryWay(t *testing.T) {
	ctx := context.Background()
	vars := brokenConfig(t)
	var list bytes.Buffer
	if err := run(ctx, []string{"help"}, env(vars), &list, io.Discard); err != nil {
		t.Fatalf("help: %v", err)
	}
	for _, ways := range [][]string{{"-h"}, {"--help"}, {"-help"}} {
		var out bytes.Buffer
		if err := run(ctx, ways, env(vars), &out, io.Discard); err != nil || out.String() != list.String() {
			t.Errorf("ontohub %v: %v, want the same list as ontohub help", ways, err)
		}
	}
	for name, help := range commandHelp {
		if !strings.Contains(list.String(), "ontohub "+name) {
			t.Errorf("ontohub help does not list %s", name)
		}
		if !strings.HasPrefix(help, "usage: ontohub "+name) && !strings.HasPrefix(help, "usage:\n  ontohub "+name) {
			t.Errorf("help of %s does not start with its usage line: %q", name, help)
		}
		ways := [][]string{{"help", name}, {name, "-h"}, {name, "--help"}, {name, "-help"}}
		if name == "migrate" || name == "schema" {
			ways = append(ways, []string{name, "help"}, []string{name, "apply", "--help"})
		}
		for _, args := range ways {
			var out, errOut bytes.Buffer
			if err := run(ctx, args, env(vars), &out, &errOut); err != nil {
				t.Errorf("ontohub %v: %v, want its help and exit 0", args, err)
				continue
			}
			if out.String() != help {
				t.Errorf("ontohub %v printed %q, want the help of %s on stdout", args, out.String(), name)
			}
			if errOut.Len() != 0 {
				t.Errorf("ontohub %v wrote to stderr: %q", args, errOut.String())
			}
		}
	}
}

func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "serve", "ingest"}, "at most one COMMAND"},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
		{[]string{"healthcheck", "extra"}, `unexpected argument "extra"`},
		{[]string{"healthcheck", "--bogus"}, "flag provided but not defined"},
		{[]string{"healthcheck", "--url", "ftp://host/health"}, "not an http(s) URL"},
		{[]string{"healthcheck", "--url"}, "flag needs an argument"},
		{[]string{"migrate"}, "missing subcommand"},
		{[]string{"migrate", "frob"}, `unknown subcommand "frob"`},
		{[]string{"schema", "apply", "extra"}, `unexpected argument "extra"`},
	} {
		err := run(context.Background(), tc.args, env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("ontohub %v: %v (exit %d), want exit 2 naming %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}

func TestVersionPrintsVersionAndCommit(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3", "0123456789abcdef"
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "ontohub v1.2.3 (commit 0123456789abcdef)\n"; got != want {
		t.Errorf("version printed %q, want %q", got, want)
	}
}

// TestNoDatabaseBeforeTheCommandLineIsChecked runs each database command with a bad command
// line against a database that does not exist yet: the usage error comes first, and the
// database is still missing afterwards.
func TestNoDatabaseBeforeTheCommandLineIsChecked(t *testing.T) {
	ctx := context.Background()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	missing := *u
	missing.Path = u.Path + "_never_created"
	vars := map[string]string{"DATABASE_URL": missing.String()}
	for _, args := range [][]string{
		{"serve", "extra"}, {"serve", "--commit", "abc"}, {"ingest"}, {"ingest", "a", "b"},
		{"migrate", "apply", "--bogus"}, {"migrate", "status", "extra"}, {"migrate", "diff"},
		{"schema", "apply", "--bogus"}, {"schema", "frob"},
	} {
		if err := run(ctx, args, env(vars), io.Discard, io.Discard); err == nil || exitCode(err) != 2 {
			t.Errorf("ontohub %v: %v, want a usage error", args, err)
		}
	}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	name := strings.TrimPrefix(missing.Path, "/")
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s was created by a command whose command line was wrong", name)
	}
}
