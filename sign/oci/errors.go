package oci

import (
	"errors"
	"fmt"

	"github.com/hallmark-dev/hallmark/sign"
)

// Sentinel errors of VerifyImage, in addition to those of the sign room (every bundle failure
// is reported with its own sign.Err… kind) and of the source room for the registry itself
// (source.ErrRegistry: unreachable or refused; source.ErrNotFound: no such image).
var (
	// ErrNoSignature: the registry holds no signature (or no attestation of the asked type)
	// for the image's digest. Either it was never signed, or the tag now names another image
	// than the one signed. It is a verification failure (matches sign.ErrVerification).
	ErrNoSignature = fmt.Errorf("%w: no signature found for the image", sign.ErrVerification)

	// ErrNoValidSignature: the registry holds signatures for the image's digest, but none
	// verified under the policy. The error also wraps each bundle's own failure (e.g.
	// sign.ErrSignature for another key, sign.ErrSubjectMismatch for a signature of another
	// image), so errors.Is finds the reason.
	ErrNoValidSignature = fmt.Errorf("%w: no signature of the image verified", sign.ErrVerification)

	// ErrMalformedReferrer: a referrer the registry lists as a Sigstore bundle is not one
	// hallmark can read: its manifest does not have exactly one bundle layer, names another
	// subject, or its bundle is too large. It is reported inside ErrNoValidSignature when no
	// other signature verified.
	ErrMalformedReferrer = fmt.Errorf("%w: malformed signature referrer", sign.ErrMalformedBundle)

	// ErrTransparency: Options.Transparency failed (the log refused or could not be reached),
	// so SignImage or AttestImage pushed nothing. The error wraps the hook's own error; retry
	// once the log is back, or sign without a log if the policy allows it.
	ErrTransparency = errors.New("transparency log hook failed, nothing was pushed")
)
