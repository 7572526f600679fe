package metrics

import (
	"net/http"
	"time"
)

// methods are the HTTP methods that get a label value of their own; any other is "OTHER", so a
// client cannot add series by inventing methods.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// RequestStarted counts a request in flight; call the returned function with the route pattern
// and status once it is answered. route must be a pattern from a fixed set, never a raw path.
func RequestStarted(method string) (done func(route string, status int)) {
	start := time.Now()
	inFlight.Inc()
	if !methods[method] {
		method = "OTHER"
	}
	return func(route string, status int) {
		inFlight.Dec()
		requests.WithLabelValues(route, method, statusClass(status)).Inc()
		requestDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// statusClass is "2xx" for 200 to 299 and so on; "other" outside 100 to 599.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return string(rune('0'+status/100)) + "xx"
}
