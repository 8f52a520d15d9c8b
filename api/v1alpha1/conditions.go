/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// Conditions follow Gateway API's conventions:
//
//   - condition types are positive ("Accepted", not "Invalid"), so True is
//     good and a reader never negates in their head;
//   - every condition carries a CamelCase reason from the lists below and a
//     message a person can act on;
//   - observedGeneration is the metadata.generation the controller acted on;
//     a condition whose observedGeneration is older than the object's
//     generation is stale;
//   - a new object starts with Accepted=Unknown, and Programmed and Ready
//     where its kind has them, reason Pending, message "Waiting for
//     controller", set by a CRD default, so the printer columns of `kubectl
//     get` are never blank before the controller has run.

// ConditionType is the type of a status condition on a Tollgate object.
type ConditionType string

// ConditionReason is the reason of a status condition on a Tollgate object.
type ConditionReason string

// Condition types. Which kinds use which types is listed on each constant.
const (
	// ConditionAccepted says whether the object's spec is valid and was taken
	// into account. Used by every kind.
	//
	// Possible reasons for True: Accepted.
	// Possible reasons for False: Invalid, UnsupportedValue.
	// Possible reasons for Unknown: Pending.
	ConditionAccepted ConditionType = "Accepted"

	// ConditionResolvedRefs says whether every object this one refers to
	// exists and is usable. Used by ModelProvider (Secrets), AIGateway
	// (ModelProviders, Secrets, issuer) and Consumer (Secret, AIGateways,
	// TokenPolicies).
	//
	// Possible reasons for True: ResolvedRefs.
	// Possible reasons for False: SecretNotFound, SecretKeyNotFound,
	// ProviderNotFound, ModelNotFound, GatewayNotFound, PolicyNotFound.
	// Possible reasons for Unknown: Pending.
	ConditionResolvedRefs ConditionType = "ResolvedRefs"

	// ConditionProgrammed says whether the AIGateway's compiled config and
	// children (Deployment, Service, config Secret) were applied. Used by
	// AIGateway.
	//
	// Possible reasons for True: Programmed.
	// Possible reasons for False: Invalid, ApplyFailed.
	// Possible reasons for Unknown: Pending.
	ConditionProgrammed ConditionType = "Programmed"

	// ConditionReady is the summary a person or Argo CD looks at: the object
	// is doing its job. Used by AIGateway (enough replicas serve the current
	// config), ModelProvider (valid, credentials resolved, catalogue known)
	// and Consumer (a key exists and the consumer may call a gateway).
	//
	// Possible reasons for True: Ready.
	// Possible reasons for False, by kind:
	//   - AIGateway: ReplicasUnavailable.
	//   - ModelProvider: Invalid, SecretNotFound, SecretKeyNotFound,
	//     DiscoveryFailed.
	//   - Consumer: Disabled, KeyNotReady, Invalid, GatewayNotFound,
	//     PolicyNotFound. A reference problem is repeated from
	//     ResolvedRefs, a spec problem from Accepted.
	// Possible reasons for Unknown: Pending.
	ConditionReady ConditionType = "Ready"

	// ConditionCertificateReady mirrors the Ready condition of the
	// cert-manager Certificate made for spec.listener.tls.issuerRef. Set on
	// an AIGateway only when spec.listener.tls is set.
	//
	// Possible reasons for True: CertificateIssued.
	// Possible reasons for False: CertificateNotIssued, SecretNotFound,
	// CRDNotInstalled.
	// Possible reasons for Unknown: Pending.
	ConditionCertificateReady ConditionType = "CertificateReady"

	// ConditionRouteAccepted mirrors whether every parent Gateway accepted
	// the HTTPRoute made for spec.httpRoute. Set on an AIGateway only when
	// spec.httpRoute is set.
	//
	// Possible reasons for True: RouteAccepted.
	// Possible reasons for False: RouteNotAccepted, CRDNotInstalled.
	// Possible reasons for Unknown: Pending.
	ConditionRouteAccepted ConditionType = "RouteAccepted"

	// ConditionMonitoringReady says whether the ServiceMonitor for
	// spec.monitoring.serviceMonitor exists. Set on an AIGateway only when
	// the ServiceMonitor is enabled.
	//
	// Possible reasons for True: ServiceMonitorCreated.
	// Possible reasons for False: CRDNotInstalled, ApplyFailed.
	// Possible reasons for Unknown: Pending.
	ConditionMonitoringReady ConditionType = "MonitoringReady"

	// ConditionIdentitiesUnique says whether every spec.identities match of
	// a Consumer can win a token: False when another Consumer of one of
	// its AIGateways names the same subject, email or group (of the same
	// issuer) and wins it, because its name sorts first. Set on a Consumer
	// only when spec.identities is set; it does not change Ready.
	//
	// Possible reasons for True: IdentitiesUnique.
	// Possible reasons for False: IdentityShadowed.
	ConditionIdentitiesUnique ConditionType = "IdentitiesUnique"
)

// Reasons shared by several condition types.
const (
	// ReasonPending: the controller has not yet acted on this generation.
	// The CRD default for a new object's Accepted, Programmed and Ready
	// conditions.
	ReasonPending ConditionReason = "Pending"

	// ReasonInvalid: the spec is well-formed but cannot be used as a whole
	// (for example a route whose every backend names an unknown model). The
	// message says which field and why.
	ReasonInvalid ConditionReason = "Invalid"

	// ReasonUnsupportedValue: a value is accepted by the schema but not by
	// this version of the controller.
	ReasonUnsupportedValue ConditionReason = "UnsupportedValue"

	// ReasonApplyFailed: a child object could not be created or updated; the
	// message carries the API server's answer.
	ReasonApplyFailed ConditionReason = "ApplyFailed"

	// ReasonCRDNotInstalled: an optional integration (cert-manager, Gateway
	// API, prometheus-operator) was requested but its CRD is not installed.
	// The gateway runs without it; installing the CRD is picked up.
	ReasonCRDNotInstalled ConditionReason = "CRDNotInstalled"

	// ReasonSecretNotFound: a referenced Secret does not exist.
	ReasonSecretNotFound ConditionReason = "SecretNotFound"
	// ReasonConfigMapNotFound: an MCPServer's document ConfigMap (or its
	// key) does not exist.
	ReasonConfigMapNotFound ConditionReason = "ConfigMapNotFound"
	// ReasonDocumentUnavailable: an MCPServer's document URL could not be
	// fetched.
	ReasonDocumentUnavailable ConditionReason = "DocumentUnavailable"

	// ReasonSecretKeyNotFound: a referenced Secret exists but lacks the key.
	ReasonSecretKeyNotFound ConditionReason = "SecretKeyNotFound"
)

// Reasons for the Accepted condition.
const (
	// ReasonAccepted: the spec is valid and in use.
	ReasonAccepted ConditionReason = "Accepted"
)

// Reasons for the ResolvedRefs condition.
const (
	// ReasonResolvedRefs: every reference resolved.
	ReasonResolvedRefs ConditionReason = "ResolvedRefs"
	// ReasonProviderNotFound: a route backend names a ModelProvider that
	// does not exist or is not selected by spec.providerSelector.
	ReasonProviderNotFound ConditionReason = "ProviderNotFound"
	// ReasonModelNotFound: a route backend names a model its provider does
	// not list.
	ReasonModelNotFound ConditionReason = "ModelNotFound"
	// ReasonGatewayNotFound: a Consumer names an AIGateway that does not
	// exist.
	ReasonGatewayNotFound ConditionReason = "GatewayNotFound"
	// ReasonPolicyNotFound: a Consumer names a TokenPolicy that does not
	// exist.
	ReasonPolicyNotFound ConditionReason = "PolicyNotFound"
)

// Reasons for the Programmed condition.
const (
	// ReasonProgrammed: the compiled config and children are applied.
	ReasonProgrammed ConditionReason = "Programmed"
)

// Reasons for the Ready condition.
const (
	// ReasonReady: the object is doing its job.
	ReasonReady ConditionReason = "Ready"
	// ReasonReplicasUnavailable: fewer gateway replicas than requested are
	// ready with the current config.
	ReasonReplicasUnavailable ConditionReason = "ReplicasUnavailable"
	// ReasonDiscoveryFailed: listing the vendor's models failed.
	ReasonDiscoveryFailed ConditionReason = "DiscoveryFailed"
	// ReasonKeyNotReady: the Consumer's key Secret is missing or unusable.
	ReasonKeyNotReady ConditionReason = "KeyNotReady"
	// ReasonDisabled: the Consumer has spec.disabled set.
	ReasonDisabled ConditionReason = "Disabled"
)

// Reasons for the IdentitiesUnique condition.
const (
	// ReasonIdentitiesUnique: no other Consumer wins a match of this one.
	ReasonIdentitiesUnique ConditionReason = "IdentitiesUnique"
	// ReasonIdentityShadowed: another Consumer names the same match and
	// wins it; the message names the match and the winner.
	ReasonIdentityShadowed ConditionReason = "IdentityShadowed"
)

// Reasons for the CertificateReady condition.
const (
	// ReasonCertificateIssued: the Certificate is Ready and its Secret holds
	// a serving certificate.
	ReasonCertificateIssued ConditionReason = "CertificateIssued"
	// ReasonCertificateNotIssued: the Certificate exists but is not Ready;
	// the message repeats cert-manager's.
	ReasonCertificateNotIssued ConditionReason = "CertificateNotIssued"
)

// Reasons for the RouteAccepted condition.
const (
	// ReasonRouteAccepted: every parent Gateway accepted the HTTPRoute.
	ReasonRouteAccepted ConditionReason = "RouteAccepted"
	// ReasonRouteNotAccepted: a parent Gateway rejected the HTTPRoute or has
	// not answered; the message repeats the Gateway's.
	ReasonRouteNotAccepted ConditionReason = "RouteNotAccepted"
)

// Reasons for the MonitoringReady condition.
const (
	// ReasonServiceMonitorCreated: the ServiceMonitor is applied.
	ReasonServiceMonitorCreated ConditionReason = "ServiceMonitorCreated"
)

// PendingMessage is the message of the default Unknown conditions.
const PendingMessage = "Waiting for controller"
