// Package ontohub holds the files the binary carries with it: the API contract and the desired
// database schema.
package ontohub

import _ "embed"

// Spec is openapi.yaml byte for byte as committed; GET /openapi.yaml serves it.
//
//go:embed openapi.yaml
var Spec []byte

// SchemaHCL is schema.hcl, the desired state of the database in Atlas HCL, for
// `ontohub schema apply`.
//
//go:embed schema.hcl
var SchemaHCL []byte
