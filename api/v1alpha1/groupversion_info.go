/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package v1alpha1 is the Tollgate API, group ai.tollgate.dev, version
// v1alpha1: ModelProvider (an upstream vendor account), AIGateway (one
// deployed gateway), Consumer (a client team and its keys) and TokenPolicy
// (token, request and cost limits).
//
// Validation lives in the schema (OpenAPI and CEL), so a bad object is
// rejected by kubectl apply with its field path and no webhook is needed.
// Controllers compile these objects into internal/config.Config.
//
// +kubebuilder:object:generate=true
// +groupName=ai.tollgate.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "ai.tollgate.dev", Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
