package main

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/source"
)

// Exit codes, the same for every command (docs/exit-codes.md).
const (
	// ExitOK: success.
	ExitOK = 0
	// ExitNo: the answer is no — findings over a threshold, policy denied, verification failed.
	ExitNo = 1
	// ExitUsage: bad usage or bad input (including a partial inventory without --allow-partial).
	ExitUsage = 2
	// ExitInternal: internal or environment error (network, disk, a bug).
	ExitInternal = 3
)

// codedError carries an explicit exit code.
type codedError struct {
	code int
	err  error
	// silent errors have already been reported.
	silent bool
}

func (c codedError) Error() string { return c.err.Error() }
func (c codedError) Unwrap() error { return c.err }

type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func exitCode(err error) int {
	var ce codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	switch {
	case errors.Is(err, source.ErrRegistry):
		return ExitInternal
	case errors.Is(err, source.ErrNotFound), errors.Is(err, source.ErrCorrupt),
		errors.Is(err, source.ErrUnsafe), errors.Is(err, source.ErrLimit),
		errors.Is(err, inventory.ErrUnrecognised), errors.Is(err, inventory.ErrMalformed),
		errors.Is(err, sbom.ErrUnknownFormat), isPathError(err):
		return ExitUsage
	}
	switch {
	case errors.Is(err, sign.ErrMalformedBundle), errors.Is(err, sign.ErrTrustedRoot), errors.Is(err, sign.ErrInvalidPolicy),
		errors.Is(err, sign.ErrWrongPassword), errors.Is(err, sign.ErrMalformedKey), errors.Is(err, sign.ErrUnsupportedKey):
		return ExitUsage
	case errors.Is(err, sign.ErrVerification):
		return ExitNo
	}
	if isFlagError(err) {
		return ExitUsage
	}
	return ExitInternal
}

func isSilent(err error) bool {
	var ce codedError
	return errors.As(err, &ce) && ce.silent
}

// isPathError recognises a target or output the user named that does not exist or cannot be
// read: bad input, not an internal error.
func isPathError(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}

// isFlagError recognises cobra's argument and flag errors, which it does not type.
func isFlagError(err error) bool {
	var ue usageError
	if errors.As(err, &ue) {
		return true
	}
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
