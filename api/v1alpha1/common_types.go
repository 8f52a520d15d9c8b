/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// ObjectName is the name of a Kubernetes object in the same namespace: an
// RFC 1123 subdomain (lower case letters, digits, '-' and '.').
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type ObjectName string

// Namespace is the name of a namespace: an RFC 1123 label.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
type Namespace string

// SecretKey is the name of one entry in a Secret's data.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
type SecretKey string

// SecretKeyReference selects one entry of a Secret in the same namespace as
// the referring object. Cross-namespace Secret references are not allowed:
// whoever can create the referring object must be able to read the Secret
// through Kubernetes RBAC in that namespace anyway.
type SecretKeyReference struct {
	// Name is the name of the Secret.
	//
	// +required
	Name ObjectName `json:"name"`

	// Key is the entry of the Secret's data holding the value.
	//
	// +optional
	// +kubebuilder:default=apiKey
	Key SecretKey `json:"key,omitempty"`
}

// Duration is a length of time written in a strict subset of Go's duration
// syntax: one to four groups of up to five digits followed by a unit, one of
// h, m, s or ms. Examples: "30s", "1m30s", "250ms", "24h". It is what
// time.ParseDuration, metav1.Duration and CEL's duration() all accept.
//
// +kubebuilder:validation:MaxLength=28
// +kubebuilder:validation:Pattern=`^([0-9]{1,5}(h|m|s|ms)){1,4}$`
type Duration string

// Decimal is a non-negative decimal number written as a string, with up to
// nine digits before and after the point: "0", "0.15", "2.5", "500".
// Custom resources carry no floating point numbers; compile parses this.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=19
// +kubebuilder:validation:Pattern=`^(0|[1-9][0-9]{0,8})(\.[0-9]{1,9})?$`
type Decimal string

// ModelName is the name of a model as clients or vendors write it:
// "gpt-4o-mini", "claude-sonnet-4-5", "meta-llama/Llama-3.1-8B-Instruct",
// "anthropic.claude-3-5-haiku-20241022-v1:0", "qwen2.5:7b". It starts with
// a letter or digit and continues with letters, digits and . _ : / @ + -.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$`
type ModelName string

// ModelPattern is a model name or a glob over model names, matched like Go's
// path.Match: "*" matches any run of characters except "/", "?" matches one
// character. Examples: "gpt-4o", "gpt-4o*", "claude-*", "*". Character
// classes ("[...]") are not supported.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9*?][A-Za-z0-9._:/@+*?-]*$`
type ModelPattern string

// HeaderName is the name of an HTTP header (an RFC 9110 token).
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`
type HeaderName string

// HostPort is a network address "host:port": a DNS name, an IPv4 address or
// a bracketed IPv6 address, then a port.
//
// +kubebuilder:validation:MinLength=3
// +kubebuilder:validation:MaxLength=261
// +kubebuilder:validation:Pattern=`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}$`
type HostPort string

// Hostname is a DNS name, optionally prefixed with a single wildcard label
// ("*.example.com"), as in Gateway API. IP addresses are not hostnames.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type Hostname string

// PreciseHostname is a DNS name without wildcard, such as the name a
// certificate is issued for.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type PreciseHostname string
