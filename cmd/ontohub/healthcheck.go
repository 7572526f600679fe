package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

const healthcheckUsage = "usage: ontohub healthcheck [--url URL]"

// healthcheckTimeout bounds the request, connection to last byte, leaving the process's start and
// exit room within the promised 3 seconds: /health itself answers within 2 seconds even when the
// database hangs.
const healthcheckTimeout = 2500 * time.Millisecond

// errUnhealthy is a server that answered, but not healthy: exit code 1.
var errUnhealthy = errors.New("healthcheck: not healthy")

// runHealthcheck is `ontohub healthcheck [--url URL]`: exit 0 when /health answers 200 with
// status healthy, 1 for any other answer or none within healthcheckTimeout. It reads
// LISTEN_ADDR only (for the default URL), so a configuration error elsewhere cannot make a
// healthy server look sick.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	flags := newFlagSet("healthcheck")
	target := flags.String("url", "", "health endpoint")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return fmt.Errorf("%w: healthcheck: %v (%s)", errUsage, err, healthcheckUsage)
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: healthcheck: unexpected argument %q (%s)", errUsage, rest[0], healthcheckUsage)
	}
	if *target == "" {
		if *target, err = localHealthURL(getenv("LISTEN_ADDR")); err != nil {
			return err
		}
	} else if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: healthcheck: --url %q is not an http(s) URL", errUsage, *target)
	}
	status, err := askHealth(ctx, *target)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, status)
	return err
}

// localHealthURL is /health on this host at LISTEN_ADDR's port (default 8080): the server the
// check runs beside, whatever interface it listens on.
func localHealthURL(listenAddr string) (string, error) {
	if listenAddr == "" {
		listenAddr = ":8080"
	}
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: invalid LISTEN_ADDR=%q: %v", listenAddr, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/health", nil
}

// askHealth GETs target and returns the status /health reports when it is healthy.
func askHealth(ctx context.Context, target string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errUnhealthy, err)
	}
	defer resp.Body.Close()
	var health struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&health); err != nil {
		return "", fmt.Errorf("%w: %s answered %d without a health document: %v", errUnhealthy, target, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || health.Status != "healthy" {
		return "", fmt.Errorf("%w: %s answered %d, status %q", errUnhealthy, target, resp.StatusCode, health.Status)
	}
	return health.Status, nil
}
