// Package testlog gives tests a log sink that the code under test may write to from other
// goroutines (handlers, background sweeps, the rate limiter's outage reports) while the test
// reads it.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer collects log output; it is safe for concurrent use. The zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
