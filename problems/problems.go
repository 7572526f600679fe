// Package problems names the kinds of error the API answers with: each RFC 9457 problem's
// "type" is a relative URI, /problems/<kind>, that the server itself documents (GET
// /problems/<kind>), one kind per status it answers with.
package problems

import "net/http"

// Kind is one kind of problem.
type Kind struct {
	// Slug is the last segment of the type URI.
	Slug string
	// Status is the HTTP status it is answered with.
	Status int
	// Doc says what it means and what to do, for people.
	Doc string
}

// Kinds are all kinds, by status.
var Kinds = []Kind{
	{"invalid-request", http.StatusBadRequest, "The request does not match the API contract: a parameter, header or body is missing, malformed or out of range, or the body is not strict JSON. `errors` names each offending field. Fix the request; repeating it unchanged fails again."},
	{"invalid-signature", http.StatusUnauthorized, "A webhook delivery without a valid X-Hub-Signature-256 (HMAC-SHA256 of the raw body with WEBHOOK_SECRET). Nothing happened."},
	{"not-found", http.StatusNotFound, "No such path, entity, module, bundle, change or draft. Unknown, malformed, expired and withdrawn draft tokens all get this same answer."},
	{"method-not-allowed", http.StatusMethodNotAllowed, "The path exists, but not with this method; the Allow header lists the methods it takes."},
	{"conflict", http.StatusConflict, "The request does not fit the current state: a draft that is submitted, not validated, or in rebase conflict; a change that creates an existing entity or changes a missing one. `detail` says which. Nothing was changed."},
	{"payload-too-large", http.StatusRequestEntityTooLarge, "The request body is larger than MAX_BODY_BYTES. Nothing was stored."},
	{"unprocessable-change", http.StatusUnprocessableEntity, "A well-formed change that cannot be applied: a JSON Patch operation that fails (`errors` names patch/N), or a draft limit (DRAFT_MAX_CHANGES, DRAFT_MAX_ENTITY_BYTES). Nothing was stored."},
	{"too-many-requests", http.StatusTooManyRequests, "Over the rate limit of this client and class, or too many expensive requests (searches, graphs, used-by, draft previews) from this client at once. Retry after Retry-After seconds."},
	{"headers-too-large", http.StatusRequestHeaderFieldsTooLarge, "The request line and headers are larger than MAX_HEADER_BYTES."},
	{"internal-error", http.StatusInternalServerError, "An unexpected error on the server. The cause is logged there, never returned."},
	{"repository-failed", http.StatusBadGateway, "The schema repository's remote refused or failed (a push); `detail` carries its reason. The draft is unchanged."},
	{"unavailable", http.StatusServiceUnavailable, "The database is unavailable, the ontology is still loading, the server is at a connection or memory bound, or it is shutting down. Retry after Retry-After seconds."},
}

// Type is the type URI of the problems answered with status; about:blank for a status no kind
// has (the status then says it all).
func Type(status int) string {
	for _, k := range Kinds {
		if k.Status == status {
			return "/problems/" + k.Slug
		}
	}
	return "about:blank"
}
