package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	middleware "github.com/oapi-codegen/nethttp-middleware"

	"github.com/ontohub/ontohub/gen"
)

// newValidator returns middleware that checks every request against the contract before a
// handler runs, answering violations with problem+json.
func newValidator() (func(http.Handler) http.Handler, error) {
	spec, err := gen.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("server: load embedded contract: %w", err)
	}
	// The spec's server URL is "/"; without this the router would also match on Host.
	spec.Servers = nil
	// A second router over the same contract answers "which methods does this path allow?" for 405s.
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("server: route contract: %w", err)
	}
	onError := func(_ context.Context, err error, w http.ResponseWriter, r *http.Request, _ middleware.ErrorHandlerOpts) {
		validationError(router, err, w, r)
	}
	return middleware.OapiRequestValidatorWithOptions(spec, &middleware.Options{
		Options: openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
		SilenceServersWarning: true,
		ErrorHandlerWithOpts:  onError,
	}), nil
}

// validationError turns the validator's verdict into a problem document: 404 for unknown paths,
// 405 (with Allow) for a known path with the wrong method, 400 naming each offending field.
func validationError(router routers.Router, err error, w http.ResponseWriter, r *http.Request) {
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		writeProblem(w, newProblem(http.StatusNotFound, detailNoRoute))
		return
	case errors.Is(err, routers.ErrMethodNotAllowed):
		if allow := allowedMethods(router, r); allow != "" {
			w.Header().Set("Allow", allow)
		}
		writeProblem(w, methodNotAllowedProblem(r.Method))
		return
	}
	writeProblem(w, newProblem(http.StatusBadRequest, detailInvalid, fieldErrors(err)...))
}

// allowedMethods lists the methods the contract defines for the request's path.
func allowedMethods(router routers.Router, r *http.Request) string {
	var allowed []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, _, err := router.FindRoute(probe); err == nil {
			allowed = append(allowed, method)
		}
	}
	return strings.Join(allowed, ", ")
}

// fieldErrors flattens the validator's (multi-)error into one entry per offending field.
func fieldErrors(err error) []gen.FieldError {
	var out []gen.FieldError
	var walk func(error)
	walk = func(err error) {
		// Split a top-level MultiError by type assertion: errors.As on it would stop at the first
		// match. Then look at a RequestError before unwrapping it: it wraps a MultiError of its
		// schema errors, and unwrapping first would lose which parameter or body they are about.
		if multi, ok := err.(openapi3.MultiError); ok {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var reqErr *openapi3filter.RequestError
		if errors.As(err, &reqErr) {
			if reqErr.Parameter != nil {
				out = append(out, gen.FieldError{
					Location: gen.FieldErrorLocation(reqErr.Parameter.In),
					Field:    reqErr.Parameter.Name,
					Message:  parameterMessage(reqErr),
				})
				return
			}
			out = append(out, bodyErrors(reqErr)...)
			return
		}
		out = append(out, gen.FieldError{Location: gen.FieldErrorLocationBody, Message: err.Error()})
	}
	walk(err)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Location != out[j].Location {
			return out[i].Location < out[j].Location
		}
		return out[i].Field < out[j].Field
	})
	return out
}

// parameterMessage says what is wrong with a parameter without repeating the whole error chain.
func parameterMessage(reqErr *openapi3filter.RequestError) string {
	var schemaErr *openapi3.SchemaError
	if errors.As(reqErr.Err, &schemaErr) {
		return schemaErr.Reason
	}
	var parseErr *openapi3filter.ParseError
	if errors.As(reqErr.Err, &parseErr) {
		return parseErr.Error()
	}
	if reqErr.Err != nil {
		return reqErr.Err.Error()
	}
	return reqErr.Reason
}

// bodyErrors names each field of the body that violates its schema.
func bodyErrors(reqErr *openapi3filter.RequestError) []gen.FieldError {
	var out []gen.FieldError
	var walk func(error) bool
	walk = func(err error) bool {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			found := false
			for _, e := range multi {
				found = walk(e) || found
			}
			return found
		}
		var schemaErr *openapi3.SchemaError
		if errors.As(err, &schemaErr) {
			out = append(out, gen.FieldError{
				Location: gen.FieldErrorLocationBody,
				Field:    strings.Join(schemaErr.JSONPointer(), "/"),
				Message:  schemaErr.Reason,
			})
			return true
		}
		return false
	}
	if reqErr.Err == nil || !walk(reqErr.Err) {
		msg := reqErr.Reason
		var parseErr *openapi3filter.ParseError
		if errors.As(reqErr.Err, &parseErr) {
			msg = "request body is not valid JSON: " + parseErr.Error()
		} else if reqErr.Err != nil {
			msg = reqErr.Err.Error()
		}
		// A body of a media type the operation does not take is the Content-Type header's fault.
		if strings.HasPrefix(msg, "header Content-Type") {
			out = append(out, gen.FieldError{Location: gen.FieldErrorLocationHeader, Field: "Content-Type", Message: msg})
			return out
		}
		out = append(out, gen.FieldError{Location: gen.FieldErrorLocationBody, Message: msg})
	}
	return out
}
