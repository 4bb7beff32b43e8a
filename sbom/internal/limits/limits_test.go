package limits

import (
	"errors"
	"io"
	"strings"
	"testing"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestReadAll(t *testing.T) {
	if b, err := ReadAll(strings.NewReader("abc")); err != nil || string(b) != "abc" {
		t.Errorf("ReadAll(abc) = %q, %v", b, err)
	}
	if _, err := ReadAll(io.LimitReader(zeros{}, MaxDocument)); err != nil {
		t.Errorf("ReadAll of exactly MaxDocument bytes: %v", err)
	}
	_, err := ReadAll(zeros{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadAll of an endless stream = %v, want ErrTooLarge", err)
	}
}

func TestFields(t *testing.T) {
	var f Fields
	f.Check("a", "short")
	f.Check("b", strings.Repeat("x", MaxField+1))
	f.Check("c", strings.Repeat("x", MaxField+2))
	err := f.Err()
	if !errors.Is(err, ErrTooLarge) || !strings.HasPrefix(err.Error(), "b is ") {
		t.Errorf("Err() = %v, want the first violation, naming b", err)
	}
}
