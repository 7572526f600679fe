package connguard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/ontohub/ontohub/problems"
)

// problem is an RFC 9457 problem document in the shape the server answers with
// (server.writeProblem): the same fields, in the same order, HTML left unescaped.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// problemResponse is a complete HTTP response carrying a problem document for status, meant to
// be the last thing written on a connection. extraHeaders are whole header lines, each ending in
// CRLF.
func problemResponse(proto string, status int, detail, extraHeaders string) []byte {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	// Four plain fields always encode; an error here would be a bug in encoding/json.
	_ = enc.Encode(problem{Type: problems.Type(status), Title: http.StatusText(status), Status: status, Detail: detail})

	var b bytes.Buffer
	b.Grow(160 + body.Len())
	b.WriteString(proto + " " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	b.WriteString("Content-Type: application/problem+json\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(body.Len()) + "\r\n")
	b.WriteString("Connection: close\r\n")
	b.WriteString(extraHeaders)
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	return b.Bytes()
}
