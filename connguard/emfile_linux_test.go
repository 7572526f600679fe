//go:build linux

package connguard

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// emfileChildEnv makes TestEMFILEServerProcess serve instead of returning at once.
const emfileChildEnv = "CONNGUARD_EMFILE_CHILD"

// emfileSpareFDs is how many descriptors the child may open beyond those it has when it starts
// serving: a handful of connections before accept fails with EMFILE.
const emfileSpareFDs = 6

// TestAcceptOutOfDescriptors runs a server whose descriptor limit is nearly used up, in a child
// process so that the limit binds nobody else, and keeps opening keep-alive connections to it.
// Accept fails with EMFILE; the Listener must close the connection idle for longest to make
// room, so that every new client is served, as it was not in the review.
func TestAcceptOutOfDescriptors(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILEServerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // closing it stops the child
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("server process: %v\n%s", err, stderr.String())
		}
	}()
	addr, err := readChildAddr(stdout)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	const conns = 5 * emfileSpareFDs
	var clients []*client
	for range conns {
		c := dial(t, addr, "")
		c.mustGet(t, "/")
		clients = append(clients, c)
	}
	if !clients[0].closedByServer() {
		t.Error("the oldest idle connection is still open")
	}
	resp, err := dial(t, addr, "").get("/stats")
	if err != nil {
		t.Fatal(err)
	}
	var s Stats
	if err := json.Unmarshal(resp.body, &s); err != nil {
		t.Fatalf("stats %q: %v", resp.body, err)
	}
	// The exact number open depends on descriptors the runtime opens and closes by itself; it
	// must just stay far below the number of clients.
	if s.AcceptErrors == 0 || s.IdleEvicted == 0 || s.Open >= conns/2 {
		t.Errorf("stats %+v: want accept errors, evictions and fewer than %d open", s, conns/2)
	}
}

// readChildAddr reads the line in which the child announces its address.
func readChildAddr(stdout io.Reader) (string, error) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			return addr, nil
		}
	}
	return "", fmt.Errorf("server process ended without announcing its address: %v", sc.Err())
}

// TestEMFILEServerProcess is the server of TestAcceptOutOfDescriptors; run any other way it
// does nothing.
func TestEMFILEServerProcess(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "" {
		return
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The caps are far above the descriptor limit: here the kernel says no first.
	l, err := Listen(inner, Config{MaxConns: 1000, MaxConnsPerAddr: 1000, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", okHandler)
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(l.Stats())
	})
	srv := &http.Server{Handler: mux, ConnState: l.ConnState}

	open, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// ReadDir's own descriptor is closed again, so the connections get one more than
	// emfileSpareFDs.
	lim.Cur = uint64(len(open) + emfileSpareFDs)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = srv.Close()
	}()
	fmt.Printf("listening on %s\n", inner.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
}
