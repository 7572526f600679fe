package connguard_test

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ontohub/ontohub/connguard"
)

// The Listener wraps the server's listener, and its ConnState method tells it which
// connections are idle.
func ExampleListen() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	guard, err := connguard.Listen(ln, connguard.Config{
		MaxConns:        connguard.DefaultMaxConns,
		MaxConnsPerAddr: connguard.DefaultMaxConnsPerAddr,
		Logger:          slog.Default(),
	})
	if err != nil {
		panic(err)
	}
	srv := &http.Server{
		Handler:           http.NotFoundHandler(),
		ConnState:         guard.ConnState,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go func() { _ = srv.Serve(guard) }()
	_ = srv.Close()
}
