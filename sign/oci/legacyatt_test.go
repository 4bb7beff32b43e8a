package oci

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
)

// pushLegacyAttestation writes a legacy ".att" manifest for image d, one layer per envelope,
// as cosign attest --new-bundle-format=false does.
func pushLegacyAttestation(t *testing.T, d name.Digest, layers ...mutate.Addendum) {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(legacyTag(d, ".att"), img); err != nil {
		t.Fatal(err)
	}
}

// attLayer is a legacy attestation layer holding envelope, with cosign's annotations (an empty
// signature annotation, and the predicate type when not "").
func attLayer(envelope []byte, predicateType string) mutate.Addendum {
	ann := map[string]string{annotationLegacySignature: ""}
	if predicateType != "" {
		ann[annotationLegacyPredicateType] = predicateType
	}
	return mutate.Addendum{Layer: static.NewLayer(envelope, DSSEMediaType), MediaType: DSSEMediaType, Annotations: ann}
}

// statementJSON is an in-toto statement of type typ (v1 or v0.1) about digest.
func statementJSON(typ, repo, digest, predicateType string) []byte {
	b, _ := json.Marshal(map[string]any{
		"_type":         typ,
		"subject":       []any{map[string]any{"name": repo, "digest": map[string]string{"sha256": strings.TrimPrefix(digest, "sha256:")}}},
		"predicateType": predicateType,
		"predicate":     map[string]any{"bomFormat": "CycloneDX", "serial": json.Number("12345678901234567890")},
	})
	return b
}

// makeEnvelope signs payload into a DSSE envelope as cosign does: over PAE(payloadType,
// payload), with each key in turn.
func makeEnvelope(t *testing.T, payloadType string, payload []byte, keys ...crypto.Signer) []byte {
	t.Helper()
	var sigs []map[string]string
	for _, k := range keys {
		sigs = append(sigs, map[string]string{"keyid": "", "sig": signPayload(t, k, dsse.PAE(payloadType, payload))})
	}
	b, err := json.Marshal(map[string]any{"payloadType": payloadType, "payload": base64.StdEncoding.EncodeToString(payload), "signatures": sigs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyLegacyAttestation(t *testing.T) {
	ecKey, ecPolicy := fixtureKey(t, "cosign.key")
	edKey, edPolicy := fixtureKey(t, "cosign-ed25519.key")
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPolicy, err := sign.NewKeyPolicy(otherKey.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	const openvex = "https://openvex.dev/ns"
	type env struct{ repo, digest string }
	v1Statement := func(e env) []byte { return statementJSON(attest.StatementType, e.repo, e.digest, cyclonedxType) }
	for _, tc := range []struct {
		name    string
		policy  sign.Policy
		layers  func(e env) []mutate.Addendum
		wantErr []error
	}{
		{name: "ecdsa-v1", policy: ecPolicy, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, v1Statement(e), ecKey), cyclonedxType)}
		}},
		{name: "ed25519-v0.1", policy: edPolicy, layers: func(e env) []mutate.Addendum {
			st := statementJSON(StatementTypeV01, e.repo, e.digest, cyclonedxType)
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, st, edKey), cyclonedxType)}
		}},
		{name: "no-annotation", policy: ecPolicy, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, v1Statement(e), ecKey), "")}
		}},
		// The annotation is a hint: one that lies costs a second look, not the attestation.
		{name: "annotation-lies", policy: ecPolicy, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, v1Statement(e), ecKey), openvex)}
		}},
		{name: "second-signature-verifies", policy: ecPolicy, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, v1Statement(e), otherKey, ecKey), cyclonedxType)}
		}},
		{name: "bad-layer-beside-good", policy: ecPolicy, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{
				attLayer([]byte("{"), cyclonedxType),
				attLayer(makeEnvelope(t, attest.PayloadType, v1Statement(e), ecKey), cyclonedxType),
			}
		}},
		{name: "another-key", policy: otherPolicy, wantErr: []error{ErrNoValidSignature, sign.ErrSignature}, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, v1Statement(e), ecKey), cyclonedxType)}
		}},
		{name: "another-image", policy: ecPolicy, wantErr: []error{ErrNoValidSignature, sign.ErrSubjectMismatch}, layers: func(e env) []mutate.Addendum {
			st := statementJSON(attest.StatementType, e.repo, "sha256:"+strings.Repeat("ab", 32), cyclonedxType)
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, st, ecKey), cyclonedxType)}
		}},
		{name: "another-type", policy: ecPolicy, wantErr: []error{ErrNoSignature, sign.ErrPredicateTypeMismatch}, layers: func(e env) []mutate.Addendum {
			st := statementJSON(attest.StatementType, e.repo, e.digest, openvex)
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, st, ecKey), openvex)}
		}},
		{name: "another-type-unannotated", policy: ecPolicy, wantErr: []error{ErrNoSignature, sign.ErrPredicateTypeMismatch}, layers: func(e env) []mutate.Addendum {
			st := statementJSON(attest.StatementType, e.repo, e.digest, openvex)
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, st, ecKey), "")}
		}},
		// Another type signed by another key is not "attested as something else".
		{name: "another-type-another-key", policy: otherPolicy, wantErr: []error{ErrNoSignature}, layers: func(e env) []mutate.Addendum {
			st := statementJSON(attest.StatementType, e.repo, e.digest, openvex)
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, st, ecKey), openvex)}
		}},
		{name: "tampered-payload", policy: ecPolicy, wantErr: []error{ErrNoValidSignature, sign.ErrSignature}, layers: func(e env) []mutate.Addendum {
			envelope := makeEnvelope(t, attest.PayloadType, v1Statement(e), ecKey)
			var m map[string]any
			json.Unmarshal(envelope, &m)
			m["payload"] = base64.StdEncoding.EncodeToString(statementJSON(attest.StatementType, e.repo, e.digest, cyclonedxType+"x"))
			envelope, _ = json.Marshal(m)
			return []mutate.Addendum{attLayer(envelope, cyclonedxType)}
		}},
		{name: "payload-type-not-in-toto", policy: ecPolicy, wantErr: []error{ErrNoValidSignature, ErrMalformedLegacyAttestation}, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer(makeEnvelope(t, "application/json", v1Statement(e), ecKey), cyclonedxType)}
		}},
		{name: "signed-payload-not-a-statement", policy: ecPolicy, wantErr: []error{ErrNoValidSignature, ErrMalformedLegacyAttestation, attest.ErrInvalid},
			layers: func(e env) []mutate.Addendum {
				return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, []byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[]}`), ecKey), cyclonedxType)}
			}},
		{name: "envelope-not-json", policy: ecPolicy, wantErr: []error{ErrNoValidSignature, ErrMalformedLegacyAttestation}, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer([]byte(`{"payloadType":`), cyclonedxType)}
		}},
		{name: "keyless-policy", policy: sign.Policy{}, wantErr: []error{ErrNoValidSignature, ErrLegacyUnsupported}, layers: func(e env) []mutate.Addendum {
			return []mutate.Addendum{attLayer(makeEnvelope(t, attest.PayloadType, v1Statement(e), ecKey), cyclonedxType)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, _ := newRegistry(t, true)
			repo := host + "/test/app"
			digest := pushImage(t, repo+":v1")
			d, err := name.NewDigest(repo + "@" + digest.String())
			if err != nil {
				t.Fatal(err)
			}
			pushLegacyAttestation(t, d, tc.layers(env{repo, digest.String()})...)
			got, err := VerifyImage(t.Context(), repo+":v1", tc.policy, VerifyOptions{PredicateType: cyclonedxType})
			for _, want := range tc.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
			if tc.wantErr != nil {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("verified %d, want 1", len(got))
			}
			v := got[0]
			if v.Kind != LegacyAttestationKind || v.Image != d.String() || v.Result.Artifact != digest.String() ||
				v.Result.MediaType != DSSEMediaType || v.Result.Statement.PredicateType != cyclonedxType || !v.Statement.Matches(digest.String()) {
				t.Errorf("verified %+v, result %+v", v, v.Result)
			}
			// Big numbers in the predicate survive as signed (no float64 round trip).
			if !strings.Contains(string(v.Statement.Predicate), "12345678901234567890") {
				t.Errorf("predicate %s", v.Statement.Predicate)
			}
			// An attestation is not a signature.
			if _, err := VerifyImage(t.Context(), repo+":v1", tc.policy, VerifyOptions{}); !errors.Is(err, ErrNoSignature) {
				t.Errorf("signature query: err = %v, want ErrNoSignature", err)
			}
		})
	}
}

func TestParseLegacyEnvelope(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString([]byte(`{"a":1}`))
	sig := base64.StdEncoding.EncodeToString([]byte("sig"))
	for _, tc := range []struct {
		name, raw string
		want      *envelope
	}{
		{"cosign", `{"payloadType":"application/vnd.in-toto+json","payload":"` + payload + `","signatures":[{"keyid":"","sig":"` + sig + `"}]}`,
			&envelope{payloadType: attest.PayloadType, payload: []byte(`{"a":1}`), signatures: [][]byte{[]byte("sig")}}},
		{"url-safe-unpadded", `{"payloadType":"application/vnd.in-toto+json","payload":"` + base64.RawURLEncoding.EncodeToString([]byte(`{"a":1}`)) + `","signatures":[{"sig":"` + sig + `"}]}`,
			&envelope{payloadType: attest.PayloadType, payload: []byte(`{"a":1}`), signatures: [][]byte{[]byte("sig")}}},
		{"not-json", `{`, nil},
		{"no-payload", `{"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"` + sig + `"}]}`, nil},
		{"other-payload-type", `{"payloadType":"text/plain","payload":"` + payload + `","signatures":[{"sig":"` + sig + `"}]}`, nil},
		{"no-signatures", `{"payloadType":"application/vnd.in-toto+json","payload":"` + payload + `","signatures":[]}`, nil},
		{"too-many-signatures", `{"payloadType":"application/vnd.in-toto+json","payload":"` + payload + `","signatures":[` +
			strings.TrimSuffix(strings.Repeat(`{"sig":"`+sig+`"},`, maxEnvelopeSignatures+1), ",") + `]}`, nil},
		{"payload-not-base64", `{"payloadType":"application/vnd.in-toto+json","payload":"!!","signatures":[{"sig":"` + sig + `"}]}`, nil},
		{"empty-signature", `{"payloadType":"application/vnd.in-toto+json","payload":"` + payload + `","signatures":[{"sig":""}]}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLegacyEnvelope([]byte(tc.raw))
			if tc.want == nil {
				if !errors.Is(err, ErrMalformedLegacyAttestation) {
					t.Fatalf("err = %v, want ErrMalformedLegacyAttestation", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(envelope{})); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatement(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	v01 := statementJSON(StatementTypeV01, "r", digest, cyclonedxType)
	for _, tc := range []struct {
		name, raw string
		wantType  string
	}{
		{"v1", string(statementJSON(attest.StatementType, "r", digest, cyclonedxType)), attest.StatementType},
		{"v0.1", string(v01), StatementTypeV01},
		{"v0.2", string(statementJSON("https://in-toto.io/Statement/v0.2", "r", digest, cyclonedxType)), ""},
		{"v0.1-duplicate-member", strings.Replace(string(v01), `{`, `{"predicateType":"https://example.com/other",`, 1), ""},
		{"v0.1-trailing-data", string(v01) + `{}`, ""},
		{"v0.1-no-subject", `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://x.example/p","predicate":{}}`, ""},
		{"v0.1-bad-digest", strings.Replace(string(v01), strings.Repeat("ab", 32), "ABAB", 1), ""},
		{"array", `[]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := parseStatement([]byte(tc.raw))
			if tc.wantType == "" {
				if !errors.Is(err, attest.ErrInvalid) {
					t.Fatalf("err = %v, want attest.ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Type != tc.wantType || st.PredicateType != cyclonedxType || !st.Matches(digest) || !strings.Contains(string(st.Predicate), "12345678901234567890") {
				t.Errorf("statement %+v", st)
			}
		})
	}
}

func FuzzParseLegacyEnvelope(f *testing.F) {
	if raw, err := os.ReadFile(cosignEnvelopeFixture); err == nil {
		f.Add(raw)
	}
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}`))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30","signatures":[{"sig":"_-8"}]}`))
	f.Add([]byte(`{"payloadType":null,"payload":"","signatures":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := parseLegacyEnvelope(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformedLegacyAttestation) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if e.payloadType != attest.PayloadType || len(e.payload) == 0 || len(e.signatures) == 0 || len(e.signatures) > maxEnvelopeSignatures {
			t.Fatalf("accepted %+v", e)
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	f.Add(statementJSON(StatementTypeV01, "r", digest, cyclonedxType))
	f.Add(statementJSON(attest.StatementType, "r", digest, cyclonedxType))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","_type":"x"}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1"} 1`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		st, err := parseStatement(raw)
		if err != nil {
			if !errors.Is(err, attest.ErrInvalid) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if (st.Type != attest.StatementType && st.Type != StatementTypeV01) || len(st.Subject) == 0 || st.PredicateType == "" {
			t.Fatalf("accepted %+v", st)
		}
	})
}
