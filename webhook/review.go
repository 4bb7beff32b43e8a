package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Errors of reading a review, matched with errors.Is; the HTTP layer maps them to a status.
var (
	// ErrMalformedReview: the body is not an AdmissionReview v1 request hallmark can answer
	// (not JSON, another apiVersion or kind, no request, no uid, no object to decide on). It is
	// answered with HTTP 400 and the reason; the API server then applies the webhook's
	// failurePolicy. Fix the caller (or the ValidatingWebhookConfiguration's
	// admissionReviewVersions).
	ErrMalformedReview = errors.New("malformed AdmissionReview")
	// ErrTooLarge: the body is larger than MaxReviewSize (HTTP 413).
	ErrTooLarge = errors.New("AdmissionReview too large")
)

// The AdmissionReview this server speaks: admission.k8s.io/v1 (Kubernetes 1.16 and later).
const (
	ReviewAPIVersion = "admission.k8s.io/v1"
	ReviewKind       = "AdmissionReview"
)

// MaxReviewSize bounds a review body. An object is at most 1.5 MiB in etcd; a review holds the
// object and, for updates, the old object.
const MaxReviewSize = 4 << 20

// Operations of an admission request.
const (
	OpCreate  = "CREATE"
	OpUpdate  = "UPDATE"
	OpDelete  = "DELETE"
	OpConnect = "CONNECT"
)

// Review is an AdmissionReview: the request the API server sends, and the response it reads.
// Only the fields hallmark uses are declared; the rest are ignored (the shape is the public API
// of k8s.io/api/admission/v1, which this module does not depend on).
type Review struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Request    *Request  `json:"request,omitempty"`
	Response   *Response `json:"response,omitempty"`
}

// GroupVersionKind names a kind in an API group.
type GroupVersionKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// GroupVersionResource names a resource in an API group.
type GroupVersionResource struct {
	Group    string `json:"group"`
	Version  string `json:"version"`
	Resource string `json:"resource"`
}

// UserInfo is who made the request, for logs.
type UserInfo struct {
	Username string `json:"username,omitempty"`
}

// Request is the admission request: what is being done to which object.
type Request struct {
	// UID identifies this review; the response must carry it back.
	UID         string               `json:"uid"`
	Kind        GroupVersionKind     `json:"kind"`
	Resource    GroupVersionResource `json:"resource"`
	SubResource string               `json:"subResource,omitempty"`
	Name        string               `json:"name,omitempty"`
	Namespace   string               `json:"namespace,omitempty"`
	Operation   string               `json:"operation"`
	UserInfo    UserInfo             `json:"userInfo"`
	// Object is the object as it will be stored (CREATE, UPDATE); OldObject the one it
	// replaces (UPDATE, DELETE).
	Object    json.RawMessage `json:"object,omitempty"`
	OldObject json.RawMessage `json:"oldObject,omitempty"`
	// DryRun is true when the request will not be persisted: it is decided all the same, so
	// that `kubectl apply --dry-run=server` shows what enforcement would do.
	DryRun *bool `json:"dryRun,omitempty"`
}

// Response is the admission response.
type Response struct {
	UID     string  `json:"uid"`
	Allowed bool    `json:"allowed"`
	Status  *Status `json:"status,omitempty"`
	// Warnings are shown to the client (kubectl prints them); each should be short.
	Warnings []string `json:"warnings,omitempty"`
	// AuditAnnotations are recorded in the API server's audit log, prefixed with the webhook's
	// name.
	AuditAnnotations map[string]string `json:"auditAnnotations,omitempty"`
}

// Status is the reason for a denial (a metav1.Status).
type Status struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    int32  `json:"code,omitempty"`
}

// DecodeReview reads an AdmissionReview v1 request from r (at most MaxReviewSize bytes) and
// checks what answering it needs: the apiVersion and kind, a request with a uid and an
// operation, and an object for CREATE and UPDATE. Errors wrap ErrMalformedReview (or
// ErrTooLarge) and name the field.
func DecodeReview(r io.Reader) (*Review, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxReviewSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %v", ErrMalformedReview, err)
	}
	if len(data) > MaxReviewSize {
		return nil, fmt.Errorf("%w: more than %d MiB", ErrTooLarge, MaxReviewSize>>20)
	}
	return ParseReview(data)
}

// ParseReview is DecodeReview on a body already read.
func ParseReview(data []byte) (*Review, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrMalformedReview}, a...)...)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, bad("empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var rv Review
	if err := dec.Decode(&rv); err != nil {
		return nil, bad("%s", jsonError(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("more than one JSON value in the body")
	}
	switch {
	case rv.APIVersion != ReviewAPIVersion:
		return nil, bad("apiVersion %q: want %q (list only v1 in admissionReviewVersions)", rv.APIVersion, ReviewAPIVersion)
	case rv.Kind != ReviewKind:
		return nil, bad("kind %q: want %q", rv.Kind, ReviewKind)
	case rv.Request == nil:
		return nil, bad("request is missing")
	}
	req := rv.Request
	switch {
	case req.UID == "":
		return nil, bad("request.uid is missing")
	case req.Kind.Kind == "":
		return nil, bad("request.kind.kind is missing")
	}
	switch req.Operation {
	case OpCreate, OpUpdate:
		if isNull(req.Object) {
			return nil, bad("request.object is missing for %s", req.Operation)
		}
		if t := firstByte(req.Object); t != '{' {
			return nil, bad("request.object is not a JSON object")
		}
	case OpDelete, OpConnect:
	case "":
		return nil, bad("request.operation is missing")
	default:
		return nil, bad("request.operation %q: want CREATE, UPDATE, DELETE or CONNECT", req.Operation)
	}
	return &rv, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func firstByte(raw json.RawMessage) byte {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

// jsonError adds the line and column of a syntax or type error.
func jsonError(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			return fmt.Sprintf("%s is a JSON %s, want %s", te.Field, te.Value, te.Type)
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends early"
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	// The offset is just past the offending byte.
	if off > 0 {
		off--
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Sprintf("line %d column %d: %v", line, col, err)
}
