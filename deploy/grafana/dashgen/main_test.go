package main

import (
	"bytes"
	"os"
	"testing"
)

// TestCheckedInDashboardIsCurrent fails when ontohub.json is not what this generator writes:
// run go generate ./... and commit the result.
func TestCheckedInDashboardIsCurrent(t *testing.T) {
	want, err := dashboardJSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../dashboards/ontohub.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("deploy/grafana/dashboards/ontohub.json differs from what dashgen generates: run go generate ./... and commit it")
	}
}
