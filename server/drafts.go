package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/oapi-codegen/nullable"

	"github.com/ontohub/ontohub/gen"
	"github.com/ontohub/ontohub/metrics"
	"github.com/ontohub/ontohub/store"
)

// capabilityMessage tells the creator of a draft that the URL is the only key to it.
const capabilityMessage = "Save this URL - it cannot be recovered. Anyone with it can view and edit this draft."

// tokenBytes is the entropy of a capability token: 256 bits.
const tokenBytes = 32

// tokenEncoding spells tokens in URL- and fragment-safe characters without padding (43 of them).
var tokenEncoding = base64.RawURLEncoding.Strict()

// noStore returns the Cache-Control of every draft response: a draft is a secret.
func noStore() *string {
	v := "no-store"
	return &v
}

// newCapabilityToken returns a fresh token and the hex SHA-256 that is all the database keeps.
func newCapabilityToken() (token, capabilityHash string) {
	var b [tokenBytes]byte
	// crypto/rand.Read never fails (it crashes the program instead, since Go 1.24).
	_, _ = rand.Read(b[:])
	token = tokenEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// capabilityHash returns the hash to look token up by, and false for anything that cannot be a
// token (wrong length or alphabet), which then finds no draft without a query.
func capabilityHash(token string) (string, bool) {
	if len(token) != tokenEncoding.EncodedLen(tokenBytes) {
		return "", false
	}
	if b, err := tokenEncoding.DecodeString(token); err != nil || len(b) != tokenBytes {
		return "", false
	}
	return hashToken(token), true
}

// draftNotFound is the one answer for unknown, malformed, expired and withdrawn tokens. Every
// operation encodes this same value the same way, so the bodies are identical byte for byte.
func draftNotFound() gen.DraftNotFoundApplicationProblemPlusJSONResponse {
	return gen.DraftNotFoundApplicationProblemPlusJSONResponse(newProblem(http.StatusNotFound, detailDraftNotFound))
}

// CreateDraft stores a new draft and returns its capability URL, the only time the token is seen.
func (s *Server) CreateDraft(ctx context.Context, req gen.CreateDraftRequestObject) (gen.CreateDraftResponseObject, error) {
	base, ok := ctx.Value(baseURLKey{}).(string)
	if !ok {
		return nil, errors.New("server: create draft: no base URL in context (withBaseURL not installed)")
	}
	token, capabilityHash := newCapabilityToken()
	draft, err := s.store.CreateDraft(ctx, store.NewDraft{
		CapabilityHash: capabilityHash,
		Payload:        req.Body.Payload,
		SourceWiki:     req.Body.SourceWiki,
		BaseCommitSHA:  req.Body.BaseCommitSha,
		TTL:            s.cfg.DraftTTL,
	})
	if err != nil {
		return nil, err
	}
	metrics.DraftsCreated.Inc()
	return gen.CreateDraft201JSONResponse{
		Body: gen.DraftCreated{
			CapabilityUrl: base + "/drafts#" + token,
			ExpiresAt:     draft.ExpiresAt,
			Message:       capabilityMessage,
		},
		Headers: gen.CreateDraft201ResponseHeaders{CacheControl: noStore()},
	}, nil
}

// GetDraft returns the draft the token points to.
func (s *Server) GetDraft(ctx context.Context, req gen.GetDraftRequestObject) (gen.GetDraftResponseObject, error) {
	capabilityHash, ok := capabilityHash(req.Token)
	if !ok {
		return gen.GetDraft404ApplicationProblemPlusJSONResponse{DraftNotFoundApplicationProblemPlusJSONResponse: draftNotFound()}, nil
	}
	draft, err := s.store.DraftByHash(ctx, capabilityHash)
	if errors.Is(err, store.ErrNotFound) {
		return gen.GetDraft404ApplicationProblemPlusJSONResponse{DraftNotFoundApplicationProblemPlusJSONResponse: draftNotFound()}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.GetDraft200JSONResponse{
		Body:    draftBody(draft),
		Headers: gen.GetDraft200ResponseHeaders{CacheControl: noStore()},
	}, nil
}

// UpdateDraft applies a PATCH with replace semantics per field; the store enforces the status
// machine and answers ErrConflict for a move it does not allow.
func (s *Server) UpdateDraft(ctx context.Context, req gen.UpdateDraftRequestObject) (gen.UpdateDraftResponseObject, error) {
	capabilityHash, ok := capabilityHash(req.Token)
	if !ok {
		return gen.UpdateDraft404ApplicationProblemPlusJSONResponse{DraftNotFoundApplicationProblemPlusJSONResponse: draftNotFound()}, nil
	}
	change, err := draftChange(req.Body)
	if err != nil {
		// The validator admits only what the contract allows; this is a body the decoder read
		// differently (say, a duplicated key).
		return gen.UpdateDraft400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: gen.BadRequestApplicationProblemPlusJSONResponse(
			newProblem(http.StatusBadRequest, detailInvalid, gen.FieldError{Location: gen.FieldErrorLocationBody, Message: err.Error()}))}, nil
	}
	draft, err := s.store.UpdateDraft(ctx, capabilityHash, change)
	var conflict *store.DraftConflictError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return gen.UpdateDraft404ApplicationProblemPlusJSONResponse{DraftNotFoundApplicationProblemPlusJSONResponse: draftNotFound()}, nil
	case errors.As(err, &conflict):
		return gen.UpdateDraft409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: gen.ConflictApplicationProblemPlusJSONResponse(
			newProblem(http.StatusConflict, conflict.Reason))}, nil
	case err != nil:
		return nil, err
	}
	return gen.UpdateDraft200JSONResponse{
		Body:    draftBody(draft),
		Headers: gen.UpdateDraft200ResponseHeaders{CacheControl: noStore()},
	}, nil
}

// draftChange turns a PATCH body into a store change: absent fields stay, null clears.
func draftChange(body *gen.DraftUpdate) (store.DraftChange, error) {
	if body == nil {
		return store.DraftChange{}, errors.New("missing body")
	}
	change := store.DraftChange{Payload: body.Payload}
	if body.Status != nil {
		change.Status = string(*body.Status)
	}
	var err error
	if change.SourceWiki, err = optionalString(body.SourceWiki); err != nil {
		return store.DraftChange{}, fmt.Errorf("source_wiki: %w", err)
	}
	if change.BaseCommitSHA, err = optionalString(body.BaseCommitSha); err != nil {
		return store.DraftChange{}, fmt.Errorf("base_commit_sha: %w", err)
	}
	return change, nil
}

// optionalString reads a nullable, optional field: not specified, null, or a value.
func optionalString(field nullable.Nullable[string]) (store.OptionalString, error) {
	switch {
	case !field.IsSpecified():
		return store.OptionalString{}, nil
	case field.IsNull():
		return store.OptionalString{Set: true}, nil
	}
	v, err := field.Get()
	if err != nil {
		return store.OptionalString{}, err
	}
	return store.OptionalString{Set: true, Value: &v}, nil
}

// DeleteDraft withdraws the draft; its token gives 404 from then on.
func (s *Server) DeleteDraft(ctx context.Context, req gen.DeleteDraftRequestObject) (gen.DeleteDraftResponseObject, error) {
	capabilityHash, ok := capabilityHash(req.Token)
	if !ok {
		return gen.DeleteDraft404ApplicationProblemPlusJSONResponse{DraftNotFoundApplicationProblemPlusJSONResponse: draftNotFound()}, nil
	}
	err := s.store.DeleteDraft(ctx, capabilityHash)
	if errors.Is(err, store.ErrNotFound) {
		return gen.DeleteDraft404ApplicationProblemPlusJSONResponse{DraftNotFoundApplicationProblemPlusJSONResponse: draftNotFound()}, nil
	}
	if err != nil {
		return nil, err
	}
	return gen.DeleteDraft204Response{Headers: gen.DeleteDraft204ResponseHeaders{CacheControl: noStore()}}, nil
}

// draftBody is the API form of a stored draft.
func draftBody(d store.Draft) gen.Draft {
	return gen.Draft{
		Id:            d.ID,
		Status:        gen.DraftStatus(d.Status),
		Payload:       d.Payload,
		SourceWiki:    d.SourceWiki,
		BaseCommitSha: d.BaseCommitSHA,
		ExpiresAt:     d.ExpiresAt,
		CreatedAt:     d.CreatedAt,
		UpdatedAt:     d.UpdatedAt,
	}
}

// requireDraft answers a request to a draft whose token is malformed or names no live draft
// with the one draft 404, before its body is read or validated: a client cannot make the
// server read and decode megabytes for a draft that does not exist.
func (s *Server) requireDraft(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, ok := capabilityHash(r.PathValue("token"))
		if ok {
			ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
			exists, err := s.store.DraftExists(ctx, hash)
			cancel()
			if err != nil {
				s.responseError(w, r, err)
				return
			}
			ok = exists
		}
		if !ok {
			writeProblem(w, newProblem(http.StatusNotFound, detailDraftNotFound))
			return
		}
		next.ServeHTTP(w, r)
	})
}
