// Package gen holds the code oapi-codegen generates from openapi.yaml: models, the strict net/http
// server interface, the typed client and the embedded spec. Never edit gen.go by hand; change the
// contract and run go generate ./...
package gen

//go:generate go tool oapi-codegen -config config.yaml ../openapi.yaml
