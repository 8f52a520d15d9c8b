package resources

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// nonRootUID is the distroless "nonroot" user the image runs as.
const nonRootUID = int64(65532)

// startupAttempts bounds the startup probe: a proxy that has not opened its
// listeners StartupDelay plus this many seconds after start is restarted.
const startupAttempts = 60

// Deployment runs the gateway: the operator's image in proxy mode, reading
// and watching its config Secret through the API. Config changes are
// hot-reloaded by the proxy, so nothing in the pod template depends on the
// config and pods are not restarted for a route or consumer change.
//
// Replicas are set only when spec.replicas is: left unset, another manager
// (an autoscaler) owns the field and server-side apply leaves it alone.
func Deployment(gw *v1alpha1.AIGateway, s Settings, tls bool) *appsv1.Deployment {
	port, metrics := Ports(gw)
	image := s.Image
	if gw.Spec.Image != nil && *gw.Spec.Image != "" {
		image = *gw.Spec.Image
	}
	drain := config.DefaultDrainTimeout
	if sv := gw.Spec.Server; sv != nil && sv.DrainTimeout != nil {
		if d, err := time.ParseDuration(string(*sv.DrainTimeout)); err == nil && d > 0 {
			drain = d
		}
	}
	grace := int64((PreStopSleep + drain + 5*time.Second).Seconds())
	yes, no := true, false
	uid := nonRootUID

	c := corev1.Container{
		Name:            "proxy",
		Image:           image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            []string{"proxy", "--config-secret", gw.Namespace + "/" + ConfigSecretName(gw)},
		Ports: []corev1.ContainerPort{
			{Name: PortHTTP, ContainerPort: port, Protocol: corev1.ProtocolTCP},
			{Name: PortMetrics, ContainerPort: metrics, Protocol: corev1.ProtocolTCP},
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(PortMetrics)}},
			PeriodSeconds:    10,
			TimeoutSeconds:   2,
			FailureThreshold: 3,
		},
		// The proxy opens its listeners only once it has read its config
		// Secret, so a probe in the first moment after start would fail and
		// the kubelet would record a Warning for every new pod. The startup
		// probe waits StartupDelay before its first try and then polls every
		// second; liveness and readiness start only after it succeeded.
		StartupProbe: &corev1.Probe{
			ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(PortMetrics)}},
			InitialDelaySeconds: int32(StartupDelay.Seconds()),
			PeriodSeconds:       1,
			TimeoutSeconds:      2,
			FailureThreshold:    startupAttempts,
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString(PortMetrics)}},
			PeriodSeconds:    2,
			TimeoutSeconds:   2,
			FailureThreshold: 1,
		},
		Lifecycle: &corev1.Lifecycle{
			// The sleep handler needs no shell in the image.
			PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: int64(PreStopSleep.Seconds())}},
		},
		Resources: defaultResources(),
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             &yes,
			RunAsUser:                &uid,
			RunAsGroup:               &uid,
			AllowPrivilegeEscalation: &no,
			ReadOnlyRootFilesystem:   &yes,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		VolumeMounts:             []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	pod := corev1.PodSpec{
		ServiceAccountName: ServiceAccountName(gw),
		// The proxy reads its config Secret through the API.
		AutomountServiceAccountToken:  &yes,
		TerminationGracePeriodSeconds: &grace,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   &yes,
			RunAsUser:      &uid,
			RunAsGroup:     &uid,
			FSGroup:        &uid,
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: resource.NewQuantity(64<<20, resource.BinarySI)}}}},
	}
	if tls {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "tls", MountPath: compile.TLSMountPath, ReadOnly: true})
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: TLSSecretName(gw)}}})
	}
	podLabels, podAnnotations := SelectorLabels(gw), map[string]string(nil)
	if pt := gw.Spec.PodTemplate; pt != nil {
		podLabels = merged(SelectorLabels(gw), pt.Labels)
		if len(pt.Annotations) > 0 {
			podAnnotations = pt.Annotations
		}
		if pt.Resources != nil {
			c.Resources = *pt.Resources.DeepCopy()
		}
		pod.NodeSelector = pt.NodeSelector
		pod.Tolerations = pt.Tolerations
		pod.Affinity = pt.Affinity
		pod.TopologySpreadConstraints = pt.TopologySpreadConstraints
		pod.ImagePullSecrets = pt.ImagePullSecrets
		if pt.PriorityClassName != nil {
			pod.PriorityClassName = *pt.PriorityClassName
		}
	}
	pod.Containers = []corev1.Container{c}

	maxUnavailable, maxSurge := intstr.FromInt32(0), intstr.FromInt32(1)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "Deployment"},
		ObjectMeta: gatewayMeta(gw, gw.Name),
		Spec: appsv1.DeploymentSpec{
			Replicas: gw.Spec.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: SelectorLabels(gw)},
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge},
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: podAnnotations},
				Spec:       pod,
			},
		},
	}
}

func defaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("100m"),
			corev1.ResourceMemory: resource.MustParse("128Mi"),
		},
		// No CPU limit: throttling adds latency to every stream.
		Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
	}
}
