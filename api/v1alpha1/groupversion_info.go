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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The package registers its kinds with apimachinery's runtime.SchemeBuilder,
// as Gateway API does, and imports nothing from controller-runtime: clients
// can use these types without pulling in the operator's dependencies.

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "ai.tollgate.dev", Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// The kinds of this package, for owner references and for matching
// compile's problems to the object they are about.
const (
	KindModelProvider = "ModelProvider"
	KindAIGateway     = "AIGateway"
	KindConsumer      = "Consumer"
	KindTokenPolicy   = "TokenPolicy"
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&AIGateway{}, &AIGatewayList{},
		&ModelProvider{}, &ModelProviderList{},
		&Consumer{}, &ConsumerList{},
		&TokenPolicy{}, &TokenPolicyList{},
		&MCPServer{}, &MCPServerList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
