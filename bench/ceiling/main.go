// Command ceiling is the load test's yardstick: a plain net/http server that answers every GET
// with a small JSON object, marshalled per request, about the size of an entity body. What wrk
// measures against it is what this machine, this wrk and the loopback allow with no work
// behind the handler; the benchmark reports each scenario of ontohub as a ratio to it.
//
//	ceiling [-addr 127.0.0.1:0]
//
// It prints "listening on HOST:PORT" once it accepts connections.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// entity has the shape of the API's entity body: ids, label, description, the definition as
// raw JSON and the timestamps; about 400 bytes once marshalled.
type entity struct {
	ID               string          `json:"id"`
	EntityID         string          `json:"entity_id"`
	EntityType       string          `json:"entity_type"`
	Label            string          `json:"label"`
	Description      string          `json:"description"`
	SchemaDefinition json.RawMessage `json:"schema_definition"`
	CommitSHA        string          `json:"commit_sha"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "`HOST:PORT` to listen on (port 0: any free port)")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	when := time.Date(2026, 1, 24, 16, 49, 12, 0, time.UTC)
	body := entity{
		ID:               "0b6c3f9e-6a2d-4c41-9a57-3f2de5b1c0aa",
		EntityID:         "Frozen_blood_sample",
		EntityType:       "category",
		Label:            "Frozen blood sample",
		Description:      "A frozen blood sample is a kind of blood sample",
		SchemaDefinition: json.RawMessage(`{"id":"Frozen_blood_sample","parents":["Blood_sample"],"required_properties":["Has_sample_volume"]}`),
		CommitSHA:        "3f2de5b1c0aa0b6c3f9e6a2d4c419a573f2de5b1",
		CreatedAt:        when,
		UpdatedAt:        when,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
		data, err := json.Marshal(body)
		if err != nil {
			http.Error(w, "marshal", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			log.Print(err)
		}
	}()
	fmt.Printf("listening on %s\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
