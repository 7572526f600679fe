package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/ontohub/ontohub/gen"
)

// operation is one operation of the contract, looked up once when its route is registered, so
// no request is routed again to be validated.
type operation struct {
	// pattern is the ServeMux pattern the generated code registers ("GET /api/v1/…/{id}").
	pattern string
	route   *routers.Route
	// pathParams are the names of the operation's path parameters.
	pathParams []string
	// queryParams are the names of its query parameters; any other is refused.
	queryParams map[string]bool
}

// validator checks requests against the contract.
type validator struct {
	spec       *openapi3.T
	operations map[string]*operation
	options    *openapi3filter.Options
}

// registerDecoder installs the JSON body decoder once per process: kin-openapi keeps decoders in
// a registry of its own, global to the program.
var registerDecoder sync.Once

func newValidator() (*validator, error) {
	spec, err := gen.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("server: load embedded contract: %w", err)
	}
	spec.Servers = nil
	registerDecoder.Do(func() { openapi3filter.RegisterBodyDecoder("application/json", decodeForValidation) })
	v := &validator{
		spec:       spec,
		operations: map[string]*operation{},
		options: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			o := &operation{
				pattern:     method + " " + path,
				route:       &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op},
				queryParams: map[string]bool{},
			}
			for _, p := range append(item.Parameters, op.Parameters...) {
				switch {
				case p.Value == nil:
				case p.Value.In == openapi3.ParameterInPath:
					o.pathParams = append(o.pathParams, p.Value.Name)
				case p.Value.In == openapi3.ParameterInQuery:
					o.queryParams[p.Value.Name] = true
				}
			}
			v.operations[o.pattern] = o
		}
	}
	return v, nil
}

// operation returns the contract operation registered under a ServeMux pattern.
func (v *validator) operation(pattern string) (*operation, error) {
	o, ok := v.operations[pattern]
	if !ok {
		return nil, fmt.Errorf("server: route %q is not in the contract", pattern)
	}
	return o, nil
}

// middleware validates every request of one operation before next runs, answering violations
// with 400 problem+json naming each offending field.
func (v *validator) middleware(o *operation, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		params := make(map[string]string, len(o.pathParams))
		for _, name := range o.pathParams {
			params[name] = r.PathValue(name)
		}
		errs := textErrors(r, params)
		errs = append(errs, o.unknownQuery(r)...)
		if len(errs) > 0 {
			writeProblem(w, newProblem(http.StatusBadRequest, detailInvalid, errs...))
			return
		}
		err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
			Request:    r,
			PathParams: params,
			Route:      o.route,
			Options:    v.options,
		})
		if err != nil {
			writeProblem(w, newProblem(http.StatusBadRequest, detailInvalid, fieldErrors(err)...))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// unknownQuery names the query parameters the operation does not take: a misspelt `limt` or
// `curser` would otherwise be ignored silently and the client would wonder why its page is 20
// long.
func (o *operation) unknownQuery(r *http.Request) []gen.FieldError {
	var out []gen.FieldError
	for name := range r.URL.Query() {
		if !o.queryParams[name] {
			out = append(out, gen.FieldError{Location: gen.FieldErrorLocationQuery, Field: name,
				Message: fmt.Sprintf("unknown query parameter %q; this operation takes %s", name, o.queryList())})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// queryList spells the operation's query parameters for a message.
func (o *operation) queryList() string {
	if len(o.queryParams) == 0 {
		return "none"
	}
	names := make([]string, 0, len(o.queryParams))
	for name := range o.queryParams {
		names = append(names, strconv.Quote(name))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// textErrors names the path and query parameters whose decoded text cannot be stored or
// compared: invalid UTF-8 or a NUL character. No id holds either, and PostgreSQL refuses both.
func textErrors(r *http.Request, params map[string]string) []gen.FieldError {
	var out []gen.FieldError
	bad := func(s string) bool { return !utf8.ValidString(s) || strings.ContainsRune(s, 0) }
	for name, value := range params {
		if bad(value) {
			out = append(out, gen.FieldError{Location: gen.FieldErrorLocationPath, Field: name, Message: "not valid UTF-8 text without NUL characters"})
		}
	}
	for name, values := range r.URL.Query() {
		for _, value := range values {
			if bad(value) {
				out = append(out, gen.FieldError{Location: gen.FieldErrorLocationQuery, Field: name, Message: "not valid UTF-8 text without NUL characters"})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// decodeForValidation decodes a JSON body for kin-openapi's schema checks, guided by the
// schema: a value whose schema accepts anything (a draft's free-form payload, an entity's whole
// JSON, a patch operation's value) is not decoded into a tree of maps, since nothing in it is
// checked; a placeholder of the same JSON type stands in for it. Decoding a megabyte of small
// values into maps costs tens of megabytes, so this keeps the cost of validating a body a small
// multiple of its size. The body was already checked to be strict JSON (see readBody).
func decodeForValidation(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	value, err := decodeGuided(dec, schemaOf(schema))
	if err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	return value, nil
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

// decodeGuided decodes the next value of dec as schema needs it.
func decodeGuided(dec *json.Decoder, schema *openapi3.Schema) (any, error) {
	if schema == nil || acceptsAnything(schema) {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		return placeholder(raw)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := map[string]any{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := keyTok.(string)
			if obj[key], err = decodeGuided(dec, propertySchema(schema, key)); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token() // }
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			item, err := decodeGuided(dec, schemaOf(schema.Items))
			if err != nil {
				return nil, err
			}
			arr = append(arr, item)
		}
		_, err := dec.Token() // ]
		return arr, err
	}
	return tok, nil
}

// propertySchema is the schema of an object's property: its own, else additionalProperties'
// (nil, decoded as anything, when that is absent or true).
func propertySchema(schema *openapi3.Schema, key string) *openapi3.Schema {
	if p, ok := schema.Properties[key]; ok {
		return schemaOf(p)
	}
	return schemaOf(schema.AdditionalProperties.Schema)
}

// acceptsAnything reports whether schema constrains nothing beyond, at most, the value being an
// object: then only the value's JSON type matters to validation.
func acceptsAnything(s *openapi3.Schema) bool {
	typeOK := s.Type == nil || len(s.Type.Slice()) == 0 || s.Type.Is("object") && len(s.Properties) == 0 &&
		len(s.Required) == 0 && s.MinProps == 0 && s.MaxProps == nil && s.AdditionalProperties.Schema == nil &&
		(s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has)
	return typeOK && s.Items == nil && len(s.OneOf) == 0 && len(s.AnyOf) == 0 && len(s.AllOf) == 0 &&
		s.Not == nil && len(s.Enum) == 0 && !s.Nullable && s.Format == "" && s.Pattern == "" &&
		s.MinLength == 0 && s.MaxLength == nil && s.Min == nil && s.Max == nil && s.MinItems == 0 && s.MaxItems == nil
}

// placeholder is a value of raw's JSON type that holds nothing: {} for an object, [] for an
// array; scalars are small and kept.
func placeholder(raw json.RawMessage) (any, error) {
	switch first := firstNonSpace(raw); first {
	case '{':
		return map[string]any{}, nil
	case '[':
		return []any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
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
