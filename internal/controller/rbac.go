package controller

// The operator's permissions, generated into config/rbac/role.yaml by
// hack/generate.sh. Least privilege, no wildcards: read the four kinds and
// write their status; write exactly the children the operator makes.
// Secrets need get/list/watch cluster-wide (the operator reads referenced
// Secrets and may only grant the proxy Role what it holds itself).
// EndpointSlices are listed and watched (cached, by label) to find the
// gateway replicas whose /usage fills Consumer status.usage.
// Events: the reconcilers record through events.k8s.io/v1 (any namespace,
// on the objects they reconcile); controller-runtime's leader election
// still records its "became leader" event through the core/v1 events API,
// on the Lease in the operator's own namespace, so core events are granted
// there only (without it every acquisition logs `events is forbidden`).

// +kubebuilder:rbac:groups=ai.tollgate.dev,resources=aigateways;consumers;modelproviders;tokenpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=ai.tollgate.dev,resources=aigateways/status;consumers/status;modelproviders/status;tokenpolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=list;watch
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch,namespace=tollgate-system
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete,namespace=tollgate-system
