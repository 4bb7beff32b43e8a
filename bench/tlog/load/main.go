// Command load is a bounded, open-loop load generator for transparency logs on loopback: it
// submits entries at a fixed rate for a fixed time and reports the sustained append rate and
// the latency from submission to a verified inclusion proof (p50, p90, p99, max).
//
// Two targets:
//
//	-target hallmark  POST /api/v2/log/entries (Rekor v2 hashedrekord requests, signed with a
//	                  fresh ECDSA P-256 key before the run); the answer carries the inclusion
//	                  proof and checkpoint, which are verified (checkpoint signature with -vkey).
//	-target tessera   tessera's conformance server: POST /add with the entry bytes answers the
//	                  index; the client then waits for a published checkpoint that covers it
//	                  (polling /checkpoint every 25 ms, one poller for all requests) and builds
//	                  the inclusion proof from the tiles, as a tessera client does.
//
// Entries are the same canonical hashedrekord bodies in both cases, so both logs store the same
// bytes. Requests beyond -inflight outstanding are counted as shed, not queued: the offered rate
// stays fixed whatever the log does (no coordinated omission).
//
//	go run ./bench/tlog/load -target hallmark -url http://127.0.0.1:8090 -vkey DIR/log.vkey -rate 1500 -duration 30s
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/tlog"
)

func main() {
	target := flag.String("target", "hallmark", "hallmark or tessera")
	url := flag.String("url", "http://127.0.0.1:8090", "base URL of the log")
	vkeyPath := flag.String("vkey", "", "the log's C2SP verifier key file (checkpoints are verified with it)")
	rate := flag.Int("rate", 1500, "offered appends per second")
	duration := flag.Duration("duration", 30*time.Second, "how long to offer load")
	inflight := flag.Int("inflight", 4000, "most submissions outstanding at once; more are shed")
	label := flag.String("label", "", "label for the result line")
	genkey := flag.String("genkey", "", "ORIGIN: write a new signed-note key pair for ORIGIN to -keydir (log.key, log.vkey) and exit")
	keydir := flag.String("keydir", ".", "directory for -genkey")
	flag.Parse()
	if *genkey != "" {
		skey, vkey, err := note.GenerateKey(rand.Reader, *genkey)
		if err == nil {
			err = os.WriteFile(filepath.Join(*keydir, "log.key"), []byte(skey), 0o600)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(*keydir, "log.vkey"), []byte(vkey+"\n"), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*target, *url, *vkeyPath, *rate, *duration, *inflight, *label); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// result is one run's figures (the JSON line the script collects).
type result struct {
	Label        string  `json:"label"`
	Target       string  `json:"target"`
	OfferedRate  int     `json:"offeredPerSecond"`
	DurationS    float64 `json:"durationSeconds"`
	Sent         int64   `json:"sent"`
	Acked        int64   `json:"acknowledgedWithProof"`
	Failed       int64   `json:"failed"`
	Shed         int64   `json:"shed"`
	AppendsPerS  float64 `json:"sustainedAppendsPerSecond"`
	OverallPerS  float64 `json:"overallAppendsPerSecond"`
	P50ms        float64 `json:"p50ms"`
	P90ms        float64 `json:"p90ms"`
	P99ms        float64 `json:"p99ms"`
	MaxMs        float64 `json:"maxMs"`
	FirstFailure string  `json:"firstFailure,omitempty"`
}

func run(target, url, vkeyPath string, rate int, duration time.Duration, inflight int, label string) error {
	if vkeyPath == "" {
		return errors.New("-vkey is required")
	}
	key, err := tlog.LoadLogKey(vkeyPath)
	if err != nil {
		return err
	}
	n := int(float64(rate) * duration.Seconds())
	fmt.Fprintf(os.Stderr, "load: preparing %d signed entries...\n", n)
	reqs, bodies, err := prepare(n)
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inflight, MaxConnsPerHost: 0}, Timeout: 60 * time.Second}

	var submit func(ctx context.Context, i int) error
	switch target {
	case "hallmark":
		submit = func(ctx context.Context, i int) error { return submitHallmark(ctx, hc, url, key, reqs[i], bodies[i]) }
	case "tessera":
		w := newWaiter(hc, url, key)
		go w.poll()
		submit = func(ctx context.Context, i int) error { return w.submit(ctx, bodies[i]) }
	default:
		return fmt.Errorf("-target %q: want hallmark or tessera", target)
	}

	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, n)
		doneAt    = make([]time.Duration, 0, n)
		firstErr  string
		sent      atomic.Int64
		failed    atomic.Int64
		shed      atomic.Int64
		wg        sync.WaitGroup
		slots     = make(chan struct{}, inflight)
	)
	fmt.Fprintf(os.Stderr, "load: offering %d/s to %s (%s) for %s\n", rate, url, target, duration)
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		select {
		case slots <- struct{}{}:
		default:
			shed.Add(1)
			continue
		}
		sent.Add(1)
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			t0 := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := submit(ctx, i)
			cancel()
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed.Add(1)
				if firstErr == "" {
					firstErr = err.Error()
				}
				return
			}
			latencies = append(latencies, d)
			doneAt = append(doneAt, time.Since(start))
		}()
	}
	offeredEnd := time.Since(start)
	wg.Wait()
	total := time.Since(start)

	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p * float64(len(latencies)-1))
		return float64(latencies[i].Microseconds()) / 1000
	}
	// Sustained rate: proofs completed per second in the steady state, from the end of a
	// warm-up (a fifth of the run, at most 5 s) to the end of the offered load.
	warm := min(offeredEnd/5, 5*time.Second)
	steady := 0
	for _, t := range doneAt {
		if t >= warm && t <= offeredEnd {
			steady++
		}
	}
	r := result{
		Label: label, Target: target, OfferedRate: rate, DurationS: offeredEnd.Seconds(),
		Sent: sent.Load(), Acked: int64(len(latencies)), Failed: failed.Load(), Shed: shed.Load(),
		AppendsPerS: float64(steady) / (offeredEnd - warm).Seconds(),
		// Overall: every acknowledged entry over the whole time it took, tail included.
		OverallPerS: float64(len(latencies)) / total.Seconds(),
		P50ms:       pct(0.50), P90ms: pct(0.90), P99ms: pct(0.99), MaxMs: pct(1),
		FirstFailure: firstErr,
	}
	fmt.Fprintf(os.Stderr, "load: %s: %d sent, %d acknowledged with proof, %d failed, %d shed; %.0f appends/s sustained (%.0f overall); add-to-proof p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms\n",
		target, r.Sent, r.Acked, r.Failed, r.Shed, r.AppendsPerS, r.OverallPerS, r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	return nil
}

// prepare signs n distinct blobs and returns the hashedrekord requests and their canonical
// bodies (what the log stores).
func prepare(n int) ([]*pb.CreateEntryRequest, [][]byte, error) {
	k, err := sign.GenerateKey(sign.ECDSAP256)
	if err != nil {
		return nil, nil, err
	}
	s, err := sign.NewKeySigner(k)
	if err != nil {
		return nil, nil, err
	}
	reqs := make([]*pb.CreateEntryRequest, n)
	bodies := make([][]byte, n)
	var nonce [8]byte
	now := time.Now().UnixNano()
	for i := range n {
		copy(nonce[:], strconv.FormatInt(now+int64(i), 36))
		b, err := sign.SignBlob(context.Background(), s, strings.NewReader(fmt.Sprintf("load entry %d %x", i, sha256.Sum256(nonce[:]))))
		if err != nil {
			return nil, nil, err
		}
		req, err := tlog.RequestForBundle(b, s.Public())
		if err != nil {
			return nil, nil, err
		}
		body, _, err := tlog.ValidateRequest(req)
		if err != nil {
			return nil, nil, err
		}
		reqs[i], bodies[i] = req, body
	}
	return reqs, bodies, nil
}

func submitHallmark(ctx context.Context, hc *http.Client, url string, key *tlog.LogKey, req *pb.CreateEntryRequest, body []byte) error {
	raw, err := protojson.Marshal(req)
	if err != nil {
		return err
	}
	for {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, url+tlog.EntriesPath, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		r.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(r)
		if err != nil {
			return err
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusServiceUnavailable {
			// Push-back: the latency keeps running while we retry, as a client would.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(out))
		}
		var tle protorekor.TransparencyLogEntry
		if err := protojson.Unmarshal(out, &tle); err != nil {
			return err
		}
		if !bytes.Equal(tle.GetCanonicalizedBody(), body) {
			return errors.New("the log answered with another entry body")
		}
		cp, err := tlog.OpenCheckpoint([]byte(tle.GetInclusionProof().GetCheckpoint().GetEnvelope()), key)
		if err != nil {
			return err
		}
		return tlog.VerifyInclusion(uint64(tle.GetLogIndex()), cp.Size, tlog.LeafHash(body), tle.GetInclusionProof().GetHashes(), cp.Root)
	}
}

// waiter releases tessera submissions once a published checkpoint covers their index, then
// builds and verifies their inclusion proof from the tiles.
type waiter struct {
	hc   *http.Client
	url  string
	key  *tlog.LogKey
	f    tlog.Fetcher
	mu   sync.Mutex
	cond *sync.Cond
	cp   *tlog.Checkpoint
	pbs  map[uint64]*lockedBuilder
}

type lockedBuilder struct {
	mu sync.Mutex
	pb *client.ProofBuilder
}

func newWaiter(hc *http.Client, url string, key *tlog.LogKey) *waiter {
	f, err := tlog.NewHTTPFetcher(url, hc)
	if err != nil {
		panic(err)
	}
	w := &waiter{hc: hc, url: url, key: key, f: f, pbs: map[uint64]*lockedBuilder{}}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *waiter) poll() {
	for {
		raw, err := w.f.ReadCheckpoint(context.Background())
		if err == nil {
			if cp, err := tlog.OpenCheckpoint(raw, w.key); err == nil {
				w.mu.Lock()
				if w.cp == nil || cp.Size > w.cp.Size {
					w.cp = cp
				}
				w.mu.Unlock()
			}
		}
		// Wake every waiter each poll: those covered go on, the others re-check their deadline.
		w.cond.Broadcast()
		time.Sleep(25 * time.Millisecond)
	}
}

func (w *waiter) submit(ctx context.Context, body []byte) error {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url+"/add", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := w.hc.Do(r)
	if err != nil {
		return err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(out))
	}
	idx, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return fmt.Errorf("index %q: %v", out, err)
	}
	w.mu.Lock()
	for (w.cp == nil || w.cp.Size <= idx) && ctx.Err() == nil {
		w.cond.Wait()
	}
	cp := w.cp
	lb := w.pbs[cp.Size]
	if lb == nil {
		pbld, err := client.NewProofBuilder(ctx, cp.Size, w.f.ReadTile)
		if err != nil {
			w.mu.Unlock()
			return err
		}
		lb = &lockedBuilder{pb: pbld}
		w.pbs = map[uint64]*lockedBuilder{cp.Size: lb} // keep only the latest
	}
	w.mu.Unlock()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	lb.mu.Lock()
	hashes, err := lb.pb.InclusionProof(ctx, idx)
	lb.mu.Unlock()
	if err != nil {
		return err
	}
	return tlog.VerifyInclusion(idx, cp.Size, tlog.LeafHash(body), hashes, cp.Root)
}
