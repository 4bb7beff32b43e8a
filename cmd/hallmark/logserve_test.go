package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/tlog"
)

// logProcess is `hallmark log serve` running as a real process (this test binary as the CLI).
type logProcess struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
}

var servingRE = regexp.MustCompile(`serving on (http://\S+)`)

func startLogProcess(t *testing.T, args ...string) *logProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"log", "serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), cliEnvVar+"=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &logProcess{cmd: cmd, done: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	select {
	case p.url = <-urlc:
	case <-p.done:
		cmd.Wait()
		t.Fatalf("log serve exited before serving: %s", p.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("log serve did not start: %s", p.log())
	}
	return p
}

func (p *logProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// TestLogServeDurableAcrossKills runs the log as a real process under concurrent load, kills
// it (SIGKILL) at a random moment several times, and checks after each restart that every
// entry acknowledged with an index is in the log at that index with a valid inclusion proof,
// and that no index was ever given to two different entries.
func TestLogServeDurableAcrossKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a log server; not run with -short")
	}
	dir := t.TempDir()
	k, err := sign.GenerateKey(sign.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	newRequest := func() (*pb.CreateEntryRequest, *bundle.Bundle) {
		b, err := sign.SignBlob(context.Background(), signer, strings.NewReader(fmt.Sprintf("entry %d", next.Add(1))))
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		req, err := tlog.RequestForBundle(b, signer.Public())
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		return req, b
	}

	var (
		mu    sync.Mutex
		acked = map[int64][]byte{} // index → canonical body acknowledged at it
	)
	const rounds = 3
	args := []string{"--storage", dir, "--origin", "durability.test/log", "--checkpoint-interval", "100ms", "--batch-max-age", "30ms"}
	for round := range rounds + 1 {
		p := startLogProcess(t, args...)
		key, err := tlog.LoadLogKey(filepath.Join(dir, tlog.VerifierKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		checkAcked(t, p.url, key, &mu, acked)
		if round == rounds {
			// Last start: stop it gracefully; it must exit 0 after publishing.
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("SIGTERM: %v\n%s", err, p.log())
			}
			<-p.done
			if !strings.Contains(p.log(), "log stopped") {
				t.Errorf("no clean stop message:\n%s", p.log())
			}
			break
		}

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var ok, failed atomic.Int64
		for range 48 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					req, b := newRequest()
					if req == nil {
						return
					}
					rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
					tle, err := tlog.Submit(rctx, p.url, req, nil)
					rcancel()
					if err != nil {
						failed.Add(1)
						continue
					}
					if err := tlog.CheckSubmitted(tle, b, crypto.PublicKey(signer.Public())); err != nil {
						t.Errorf("acknowledged entry does not check: %v", err)
						return
					}
					mu.Lock()
					if prev, dup := acked[tle.GetLogIndex()]; dup && !bytes.Equal(prev, tle.GetCanonicalizedBody()) {
						t.Errorf("index %d acknowledged for two different entries", tle.GetLogIndex())
					}
					acked[tle.GetLogIndex()] = tle.GetCanonicalizedBody()
					mu.Unlock()
					ok.Add(1)
				}
			}()
		}
		// Kill at a random moment once this round has had acknowledgements (a loaded machine
		// may take a while to answer the first ones).
		for wait := time.Now().Add(30 * time.Second); ok.Load() < 20 && time.Now().Before(wait); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(800)) * time.Millisecond)
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		<-p.done
		cancel()
		wg.Wait()
		t.Logf("round %d: %d acknowledged, %d failed at the kill; %d acknowledged in all", round, ok.Load(), failed.Load(), len(acked))
		if ok.Load() == 0 {
			t.Fatalf("round %d: nothing was acknowledged before the kill:\n%s", round, p.log())
		}
	}
}

// checkAcked verifies, against the restarted log, every acknowledged entry: same body at the
// same index, with an inclusion proof to the current checkpoint; and the whole log reads back.
func checkAcked(t *testing.T, url string, key *tlog.LogKey, mu *sync.Mutex, acked map[int64][]byte) {
	t.Helper()
	f, err := tlog.NewHTTPFetcher(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := tlog.NewClient(f, key)
	ctx := context.Background()
	mu.Lock()
	defer mu.Unlock()
	var maxIdx int64 = -1
	for i := range acked {
		maxIdx = max(maxIdx, i)
	}
	var cp *tlog.Checkpoint
	deadline := time.Now().Add(10 * time.Second)
	for {
		cp, err = c.Checkpoint(ctx)
		if err == nil && int64(cp.Size) > maxIdx {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart the checkpoint (%v, err %v) does not cover acknowledged index %d", cp, err, maxIdx)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, body := range acked {
		got, err := c.Entry(ctx, uint64(i), cp)
		if err != nil {
			t.Fatalf("acknowledged index %d: %v", i, err)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("index %d holds another entry than the one acknowledged", i)
		}
	}
	seen := map[string]uint64{}
	if err := c.Entries(ctx, 0, cp.Size, cp, func(i uint64, data []byte) error {
		if _, err := tlog.ParseEntry(data); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if j, dup := seen[string(data)]; dup {
			return fmt.Errorf("entry %d repeats entry %d", i, j)
		}
		seen[string(data)] = i
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
