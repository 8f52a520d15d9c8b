/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// BYOKSettings say how a request may bring its consumer's own vendor key
// besides the Secrets Consumers name in spec.byok.
type BYOKSettings struct {
	// HeaderKeys lets a request carry its consumer's own vendor key in the
	// X-Tollgate-Provider-Key header ("<provider>=<key>", comma-separated
	// for several providers), for the providers listed and the consumers
	// allowed. The key is used for that request only, sent to that
	// provider only, never logged, and removed from the request. Off when
	// unset: a request with the header is refused.
	//
	// +optional
	HeaderKeys *BYOKHeaderKeys `json:"headerKeys,omitempty"`
}

// BYOKHeaderKeys are the providers and consumers per-request keys are
// accepted for.
type BYOKHeaderKeys struct {
	// Providers are the ModelProviders a header key may be for. Bedrock
	// and Mock providers take none.
	//
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Providers []ObjectName `json:"providers"`

	// Consumers may send a header key for every provider listed; a
	// Consumer whose spec.byok names a listed provider may send one for
	// that provider. Empty: only those.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	Consumers []ObjectName `json:"consumers,omitempty"`
}
