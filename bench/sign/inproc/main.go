// Command inproc measures bundle verification in one process on the inputs bench/sign/run.sh
// gives cosign and `hallmark verify`. It runs three engines: hallmark's sign.Verify, and
// sigstore-go called directly with the verifier options cosign v3's pkg/cosign.VerifyNewBundle
// builds for the same flags. cosign's own verify-blob code cannot run here (it is not a
// dependency of this module, and it is a CLI, not a stable library), so the sigstore-go line is
// the engine cosign uses underneath (cosign v3.1.3 links sigstore-go v1.2.2, this module v1.3.0),
// not cosign itself.
//
// Each engine runs in two modes: "reuse" builds the policy or verifier once and then parses the
// bundle, hashes the artifact and verifies per iteration (a server verifying many bundles);
// "full" also parses the key or trusted root and builds the policy per iteration, which is what one CLI
// invocation does apart from process start.
//
//	go run ./bench/sign/inproc -dir sign/testdata [-benchtime 1s] [-count 5]
//
// Output: one tab-separated line per case, engine and mode: the median of -count measurements
// in verifications/s and µs/op, allocs/op, and the range of verifications/s.
package main

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hallmark-dev/hallmark/sign"
)

// benchCase is one verification, given as run.sh gives it to both CLIs.
type benchCase struct {
	name, artifact, bundle string
	key                    string // PEM public key; empty for keyless
	trustedRoot            string // empty for key-only (cosign --insecure-ignore-tlog)
	identity, issuer       string
}

const (
	beaconIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	beaconIssuer   = "https://token.actions.githubusercontent.com"
)

func cases(dir string) []benchCase {
	keys := filepath.Join(dir, "keys")
	bv := filepath.Join(dir, "conformance", "conformance-assets", "bundle-verify")
	tr := filepath.Join(dir, "conformance", "public-good-tuf", "trusted_root.json")
	return []benchCase{
		{name: "key", artifact: filepath.Join(keys, "hello.txt"), bundle: filepath.Join(keys, "hello.txt.cosign.sigstore.json"), key: filepath.Join(keys, "cosign.pub")},
		{name: "key+tlog", artifact: filepath.Join(bv, "a.txt"), bundle: filepath.Join(bv, "managed-key-happy-path", "bundle.sigstore.json"), key: filepath.Join(bv, "managed-key-happy-path", "key.pub"), trustedRoot: tr},
		{name: "keyless", artifact: filepath.Join(bv, "a.txt"), bundle: filepath.Join(bv, "happy-path-v0.3", "bundle.sigstore.json"), trustedRoot: tr, identity: beaconIdentity, issuer: beaconIssuer},
	}
}

// inputs are the files of a case, read once: the benchmark measures verification, not the disk.
type inputs struct {
	artifact, bundle, key, root []byte
}

func load(c benchCase) (inputs, error) {
	var in inputs
	var err error
	read := func(path string) []byte {
		if path == "" || err != nil {
			return nil
		}
		var b []byte
		b, err = os.ReadFile(path)
		return b
	}
	in.artifact, in.bundle, in.key, in.root = read(c.artifact), read(c.bundle), read(c.key), read(c.trustedRoot)
	return in, err
}

// engine is one verifier under test: prepare parses the key or trusted root and builds the
// policy (what "reuse" mode keeps across iterations) and returns one verification.
type engine struct {
	name    string
	prepare func(c benchCase, in inputs) (func() error, error)
}

var engines = []engine{
	{"hallmark", prepareHallmark},
	{"sigstore-go", prepareSigstoreGo},
}

func prepareHallmark(c benchCase, in inputs) (func() error, error) {
	var trusted root.TrustedMaterial
	if in.root != nil {
		tr, err := sign.ParseTrustedRoot(in.root)
		if err != nil {
			return nil, err
		}
		trusted = tr
	}
	var p sign.Policy
	var err error
	if in.key != nil {
		var pub crypto.PublicKey
		if pub, err = cryptoutils.UnmarshalPEMToPublicKey(in.key); err != nil {
			return nil, err
		}
		p, err = sign.NewKeyPolicy(pub, trusted)
	} else {
		p, err = sign.NewKeylessPolicy(trusted, sign.Identity{SubjectAlternativeName: c.identity, Issuer: c.issuer})
	}
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	return func() error {
		_, err := sign.Verify(ctx, bytes.NewReader(in.artifact), in.bundle, p)
		return err
	}, nil
}

// prepareSigstoreGo sets sigstore-go up as cosign v3.1.3's CheckOpts.verificationOptions does
// for `verify-blob --key K --insecure-ignore-tlog`, `--key K --trusted-root R` and
// `--trusted-root R --certificate-identity I --certificate-oidc-issuer O`.
func prepareSigstoreGo(c benchCase, in inputs) (func() error, error) {
	var material root.TrustedMaterialCollection
	if in.root != nil {
		tr, err := root.NewTrustedRootFromJSON(in.root)
		if err != nil {
			return nil, err
		}
		material = append(material, tr)
	}
	var vopts []verify.VerifierOption
	var popts []verify.PolicyOption
	if in.key != nil {
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(in.key)
		if err != nil {
			return nil, err
		}
		sv, err := signature.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, err
		}
		k := root.NewExpiringKey(sv, time.Time{}, time.Time{})
		material = append(material, root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return k, nil }))
		popts = append(popts, verify.WithKey())
		if in.root != nil {
			vopts = append(vopts, verify.WithTransparencyLog(1))
		}
		vopts = append(vopts, verify.WithNoObserverTimestamps())
	} else {
		id, err := verify.NewShortCertificateIdentity(c.issuer, "", c.identity, "")
		if err != nil {
			return nil, err
		}
		popts = append(popts, verify.WithCertificateIdentity(id))
		vopts = append(vopts, verify.WithSignedCertificateTimestamps(1), verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
	}
	v, err := verify.NewVerifier(material, vopts...)
	if err != nil {
		return nil, err
	}
	return func() error {
		var b bundle.Bundle
		if err := b.UnmarshalJSON(in.bundle); err != nil {
			return err
		}
		_, err := v.Verify(&b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(in.artifact)), popts...))
		return err
	}, nil
}

func main() {
	dir := flag.String("dir", "sign/testdata", "hallmark's sign/testdata directory")
	benchtime := flag.Duration("benchtime", time.Second, "time per measurement")
	count := flag.Int("count", 5, "measurements per line; the median is reported")
	testing.Init()
	flag.Parse()
	// testing.Benchmark reads -test.benchtime; set it so each measurement runs about as long as
	// asked.
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fatal(err)
	}
	type line struct {
		caseName, engine, mode string
		op                     func() error
		perOp                  []float64
		allocs                 int64
	}
	var lines []*line
	for _, c := range cases(*dir) {
		in, err := load(c)
		if err != nil {
			fatal(err)
		}
		for _, e := range engines {
			reuse, err := e.prepare(c, in)
			if err == nil {
				err = reuse() // a case that does not verify must not be timed
			}
			if err != nil {
				fatal(fmt.Errorf("%s/%s: %w", c.name, e.name, err))
			}
			full := func() error {
				f, err := e.prepare(c, in)
				if err != nil {
					return err
				}
				return f()
			}
			lines = append(lines,
				&line{caseName: c.name, engine: e.name, mode: "reuse", op: reuse},
				&line{caseName: c.name, engine: e.name, mode: "full", op: full})
		}
	}
	// Rounds rather than one line after another: on a shared machine a burst of load then
	// spreads over every line instead of landing on one engine.
	for range *count {
		for _, l := range lines {
			perOp, allocs := measure(l.caseName+"/"+l.engine+"/"+l.mode, l.op)
			l.perOp = append(l.perOp, perOp)
			l.allocs = allocs
		}
	}
	fmt.Println("case\tengine\tmode\tverifications/s\tus/op\tallocs/op\tverifications/s min-max")
	for _, l := range lines {
		slices.Sort(l.perOp)
		med := l.perOp[len(l.perOp)/2]
		fmt.Printf("%s\t%s\t%s\t%.0f\t%.1f\t%d\t%.0f-%.0f\n", l.caseName, l.engine, l.mode, 1/med, med*1e6, l.allocs,
			1/l.perOp[len(l.perOp)-1], 1/l.perOp[0])
	}
}

// measure runs op as a Go benchmark and returns seconds and allocations per verification.
func measure(name string, op func() error) (float64, int64) {
	var failed error
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := op(); err != nil {
				failed = err
				b.FailNow()
			}
		}
	})
	if failed != nil || r.N == 0 {
		fatal(errors.Join(fmt.Errorf("%s did not run", name), failed))
	}
	return r.T.Seconds() / float64(r.N), r.AllocsPerOp()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "inproc:", err)
	os.Exit(1)
}
