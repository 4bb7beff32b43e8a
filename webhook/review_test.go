package webhook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseReview(t *testing.T) {
	good, err := os.ReadFile("testdata/reviews/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := ParseReview(good)
	if err != nil {
		t.Fatalf("pod.json: %v", err)
	}
	if rv.Request.UID != "705ab4f5-6393-11e8-b7cc-42010a800002" || rv.Request.Kind.Kind != "Pod" || rv.Request.Namespace != "shop" || rv.Request.Operation != OpCreate || rv.Request.UserInfo.Username != "alice@example.com" {
		t.Errorf("request read as %+v", rv.Request)
	}
	if rv.Request.DryRun == nil || *rv.Request.DryRun {
		t.Errorf("dryRun read as %v, want false", rv.Request.DryRun)
	}

	tests := []struct {
		name, body string
		want       error
		contains   string
	}{
		{"empty", "", ErrMalformedReview, "empty body"},
		{"not-json", "hello", ErrMalformedReview, "line 1 column 1"},
		{"truncated", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":`, ErrMalformedReview, "ends early"},
		{"syntax-line", "{\n\"apiVersion\": \"admission.k8s.io/v1\",\n\"kind\" \"AdmissionReview\"}", ErrMalformedReview, "line 3"},
		{"two-values", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"DELETE"}} {}`, ErrMalformedReview, "more than one JSON value"},
		{"v1beta1", `{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}`, ErrMalformedReview, `apiVersion "admission.k8s.io/v1beta1"`},
		{"wrong-kind", `{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}`, ErrMalformedReview, `kind "Pod": want "AdmissionReview"`},
		{"no-request", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, ErrMalformedReview, "request is missing"},
		{"no-uid", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"},"operation":"CREATE","object":{}}}`, ErrMalformedReview, "request.uid is missing"},
		{"no-kind", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","object":{}}}`, ErrMalformedReview, "request.kind.kind is missing"},
		{"no-operation", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"object":{}}}`, ErrMalformedReview, "request.operation is missing"},
		{"bad-operation", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"PATCH","object":{}}}`, ErrMalformedReview, `operation "PATCH"`},
		{"no-object", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","object":null}}`, ErrMalformedReview, "request.object is missing for CREATE"},
		{"object-not-object", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"UPDATE","object":[1]}}`, ErrMalformedReview, "request.object is not a JSON object"},
		{"uid-type", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}}`, ErrMalformedReview, "request.uid is a JSON number, want string"},
		{"request-type", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":"x"}`, ErrMalformedReview, "request is a JSON string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReview([]byte(tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q lacks %q", err, tc.contains)
			}
		})
	}
}

func TestDecodeReviewTooLarge(t *testing.T) {
	body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","object":{"x":"` + strings.Repeat("a", MaxReviewSize) + `"}}}`
	_, err := DecodeReview(strings.NewReader(body))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}

// FuzzParseReview: any body either parses into a review with a uid, kind and operation, or is
// ErrMalformedReview; never a panic.
func FuzzParseReview(f *testing.F) {
	files, _ := filepath.Glob("testdata/reviews/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rv, err := ParseReview(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedReview) {
				t.Fatalf("error %v is not ErrMalformedReview", err)
			}
			return
		}
		if rv.Request == nil || rv.Request.UID == "" || rv.Request.Kind.Kind == "" || rv.Request.Operation == "" {
			t.Fatalf("accepted an incomplete review: %+v", rv.Request)
		}
	})
}
