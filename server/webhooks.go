package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/ontohub/ontohub/gen"
)

// githubWebhookPattern is the route of GitHub's webhook deliveries.
const githubWebhookPattern = "POST /api/v1/webhooks/github"

// detailBadSignature answers a delivery whose signature is missing or wrong.
const detailBadSignature = "The webhook signature (X-Hub-Signature-256) is missing or does not match."

// webhookBody is the body stage of the webhook route: without a secret (or without a repository
// to sync) the route does not exist, answered like an unknown path before the body is read;
// otherwise the body is read within MAX_BODY_BYTES and its signature checked on the bytes as
// sent, before the strict-JSON check, the contract validation and the handler see it.
func (s *Server) webhookBody(next http.Handler) http.Handler {
	if s.cfg.WebhookSecret == "" || s.cfg.Sync == nil {
		return http.HandlerFunc(notFoundHandler)
	}
	return s.readBodyChecked(s.verifyWebhook, next)
}

// verifyWebhook reports whether body carries a valid X-Hub-Signature-256 (HMAC-SHA256 keyed
// with the webhook secret, compared in constant time); otherwise it answers 401.
func (s *Server) verifyWebhook(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if validSignature(s.cfg.WebhookSecret, r.Header.Get("X-Hub-Signature-256"), body) {
		return true
	}
	s.log.Info("webhook delivery refused: bad signature", "request_id", requestIDFrom(r.Context()),
		"delivery", r.Header.Get("X-GitHub-Delivery"))
	writeProblem(w, newProblem(http.StatusUnauthorized, detailBadSignature))
	return false
}

// validSignature reports whether header is "sha256=" and the hex HMAC-SHA256 of body with secret.
func validSignature(secret, header string, body []byte) bool {
	digest, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(digest)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// ReceiveGithubWebhook acts on a signed delivery: a push to the followed ref asks for a sync
// (202), a ping is answered (200), anything else is acknowledged and ignored (204). A repeated
// delivery asks for one more sync, which finds the commit already served.
func (s *Server) ReceiveGithubWebhook(ctx context.Context, req gen.ReceiveGithubWebhookRequestObject) (gen.ReceiveGithubWebhookResponseObject, error) {
	receipt := gen.WebhookReceipt{Event: req.Params.XGitHubEvent, Delivery: req.Params.XGitHubDelivery}
	switch req.Params.XGitHubEvent {
	case "ping":
		receipt.Action = gen.WebhookReceiptActionPong
		return gen.ReceiveGithubWebhook200JSONResponse(receipt), nil
	case "push":
		if req.Body == nil || req.Body.Ref == nil || *req.Body.Ref != s.cfg.Sync.RefName() {
			break
		}
		if err := s.cfg.Sync.Trigger(ctx); err != nil {
			return nil, err
		}
		s.log.Info("webhook push: sync requested", "request_id", requestIDFrom(ctx), "delivery", deref(req.Params.XGitHubDelivery))
		receipt.Action = gen.WebhookReceiptActionSyncRequested
		return gen.ReceiveGithubWebhook202JSONResponse(receipt), nil
	}
	return gen.ReceiveGithubWebhook204Response{}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
