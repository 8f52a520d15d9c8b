package packaging

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// ChartDir is the Helm chart Chart writes, relative to the repository root.
const ChartDir = "charts/tollgate"

// ChartDirs are the directories Chart owns entirely.
var ChartDirs = []string{ChartDir}

// chartNamespace is the namespace config/default installs into; the chart
// puts the release's namespace wherever the build has this one.
const chartNamespace = "tollgate-system"

// Placeholders stand in the built objects for what the chart's templates
// compute; marshalling leaves them as plain words, which the line rules
// below turn into template actions.
const (
	tokNamespace   = "__TG_NAMESPACE__"
	tokLabels      = "__TG_LABELS__"
	tokImage       = "__TG_IMAGE__"
	tokPullPolicy  = "__TG_PULL_POLICY__"
	tokReplicas    = "__TG_REPLICAS__"
	tokResources   = "__TG_RESOURCES__"
	tokLeaderElect = "__TG_LEADER_ELECT__"
	tokMetricsAddr = "__TG_METRICS_ADDRESS__"
	tokMetricsPort = "__TG_METRICS_PORT__"
	tokProxyEnv    = "__TG_PROXY_IMAGE_ENV__"
)

// lineRules rewrite a line holding a placeholder. indent is the line's
// leading white space.
var lineRules = []struct {
	token string
	line  func(indent, line string) string
}{
	{tokNamespace, inline(tokNamespace, `{{ include "tollgate.namespace" . }}`)},
	{tokImage, inline(tokImage, `{{ include "tollgate.image" . | quote }}`)},
	{tokPullPolicy, inline(tokPullPolicy, `{{ .Values.image.pullPolicy }}`)},
	{tokReplicas, inline(tokReplicas, `{{ .Values.replicas }}`)},
	{tokMetricsPort, inline(tokMetricsPort, `{{ .Values.metrics.port }}`)},
	{tokMetricsAddr, inline(tokMetricsAddr, `{{ if .Values.metrics.enabled }}:{{ .Values.metrics.port }}{{ else }}0{{ end }}`)},
	{tokLabels, func(indent, _ string) string {
		return fmt.Sprintf(`{{- include "tollgate.labels" . | nindent %d }}`, len(indent))
	}},
	{tokResources, func(indent, line string) string {
		key := strings.TrimSpace(strings.SplitN(line, ":", 2)[0])
		return fmt.Sprintf("%s%s:\n%s{{- toYaml .Values.resources | nindent %d }}", indent, key, indent, len(indent)+2)
	}},
	{tokLeaderElect, func(indent, _ string) string {
		return "{{- if .Values.leaderElection.enabled }}\n" + indent + "- --leader-elect\n{{- end }}"
	}},
	{tokProxyEnv, func(indent, _ string) string {
		return "{{- if .Values.proxyImage }}\n" +
			indent + "- name: TOLLGATE_PROXY_IMAGE\n" +
			indent + "  value: {{ .Values.proxyImage | quote }}\n" +
			"{{- end }}"
	}},
}

func inline(token, action string) func(indent, line string) string {
	return func(_, line string) string { return strings.ReplaceAll(line, token, action) }
}

// chartValues are the chart's values.yaml defaults, read from the build so
// the two installs start from the same settings.
type chartValues struct {
	repository, tag, pullPolicy string
	replicas                    int64
	resources                   map[string]any
	leaderElect                 bool
	metricsPort                 string
}

// Chart builds config/default under root and returns the Helm chart's
// files by path relative to root: Chart.yaml, values.yaml, the CRDs in
// crds/ and one template per other object, parameterised by values for the
// image, the proxy image, replicas, resources, leader election, metrics
// and the namespace. The chart is this build with holes, never written by
// hand, so the Helm and kustomize installs cannot drift (test/packaging
// renders both and compares them).
func Chart(root string) (map[string][]byte, error) {
	fsys, err := LoadConfig(root)
	if err != nil {
		return nil, err
	}
	objs, err := Build(fsys, ConfigRoot+"/default")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	var vals *chartValues
	names := map[string]bool{}
	for _, u := range objs {
		u = u.DeepCopy()
		kind := u.GetKind()
		if kind == "CustomResourceDefinition" {
			b, err := cleanYAML(u.Object)
			if err != nil {
				return nil, fmt.Errorf("writing CRD %s: %w", u.GetName(), err)
			}
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
			files[ChartDir+"/crds/"+group+"_"+plural+".yaml"] = b
			continue
		}
		wrap := ""
		switch kind {
		case "Namespace":
			if u.GetName() != chartNamespace {
				return nil, fmt.Errorf("config/default creates Namespace %s, want %s", u.GetName(), chartNamespace)
			}
			u.SetName(tokNamespace)
			wrap = ".Values.createNamespace"
		case "Deployment":
			if vals != nil {
				return nil, fmt.Errorf("config/default holds two Deployments; the chart parameterises one")
			}
			if vals, err = holeDeployment(u); err != nil {
				return nil, err
			}
		case "Service":
			if isMetricsService(u) {
				if err := holeMetricsService(u); err != nil {
					return nil, err
				}
				wrap = ".Values.metrics.enabled"
			}
		}
		if ns := u.GetNamespace(); ns != "" {
			if ns != chartNamespace {
				return nil, fmt.Errorf("%s %s is in namespace %s, want %s", kind, u.GetName(), ns, chartNamespace)
			}
			u.SetNamespace(tokNamespace)
		}
		if err := holeSubjects(u); err != nil {
			return nil, err
		}
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[tokLabels] = ""
		u.SetLabels(labels)

		b, err := cleanYAML(u.Object)
		if err != nil {
			return nil, fmt.Errorf("writing %s %s: %w", kind, u.GetName(), err)
		}
		text, err := fillHoles(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, u.GetName(), err)
		}
		if wrap != "" {
			text = "{{- if " + wrap + " }}\n" + text + "{{- end }}\n"
		}
		name := templateName(kind, u.GetName())
		if names[name] {
			return nil, fmt.Errorf("two objects would be written to templates/%s", name)
		}
		names[name] = true
		files[ChartDir+"/templates/"+name] = []byte(chartHeader + text)
	}
	if vals == nil {
		return nil, fmt.Errorf("config/default holds no operator Deployment")
	}
	files[ChartDir+"/Chart.yaml"] = chartYAML(vals)
	v, err := valuesYAML(vals)
	if err != nil {
		return nil, err
	}
	files[ChartDir+"/values.yaml"] = v
	files[ChartDir+"/templates/_helpers.tpl"] = []byte(helpersTpl)
	files[ChartDir+"/templates/NOTES.txt"] = []byte(notesTxt)
	files[ChartDir+"/.helmignore"] = []byte("# Generated by hack/helm-chart (make helm-chart). DO NOT EDIT.\n.git/\n*.orig\n*~\n")
	return files, nil
}

const chartHeader = "# Generated by hack/helm-chart (make helm-chart) from config/default. DO NOT EDIT.\n"

var unsafeName = regexp.MustCompile(`[^a-z0-9.-]+`)

// templateName is templates/<kind>-<name>.yaml, lower case.
func templateName(kind, name string) string {
	name = strings.TrimPrefix(name, "tollgate-")
	if name == tokNamespace {
		name = "release"
	}
	return unsafeName.ReplaceAllString(strings.ToLower(kind+"-"+name), "-") + ".yaml"
}

// fillHoles turns the placeholders into template actions and fails on one
// no rule knows.
func fillHoles(text string) (string, error) {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		for _, r := range lineRules {
			if strings.Contains(line, r.token) {
				line = r.line(indent, line)
			}
		}
		if strings.Contains(line, "__TG_") {
			return "", fmt.Errorf("a placeholder has no rule: %q", line)
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n"), nil
}

// holeDeployment puts the placeholders into the operator Deployment and
// returns what they stand for.
func holeDeployment(u *unstructured.Unstructured) (*chartValues, error) {
	v := &chartValues{replicas: 1}
	if r, found, err := unstructured.NestedInt64(u.Object, "spec", "replicas"); err != nil {
		return nil, fmt.Errorf("Deployment %s: spec.replicas: %w", u.GetName(), err)
	} else if found {
		v.replicas = r
	}
	if err := unstructured.SetNestedField(u.Object, tokReplicas, "spec", "replicas"); err != nil {
		return nil, err
	}
	containers, _, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return nil, fmt.Errorf("Deployment %s: reading its containers: %w", u.GetName(), err)
	}
	if len(containers) != 1 {
		return nil, fmt.Errorf("Deployment %s: want exactly one container, have %d", u.GetName(), len(containers))
	}
	c, ok := containers[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Deployment %s: container is not an object", u.GetName())
	}
	image, _ := c["image"].(string)
	v.repository, v.tag = splitImage(image)
	if v.tag == "" {
		return nil, fmt.Errorf("Deployment %s: image %q has no tag (config/manager pins one)", u.GetName(), image)
	}
	c["image"] = tokImage
	v.pullPolicy, _ = c["imagePullPolicy"].(string)
	c["imagePullPolicy"] = tokPullPolicy
	v.resources, _ = c["resources"].(map[string]any)
	c["resources"] = tokResources

	args, _ := c["args"].([]any)
	for i, a := range args {
		switch s, _ := a.(string); {
		case s == "--leader-elect":
			v.leaderElect = true
			args[i] = tokLeaderElect
		case strings.HasPrefix(s, "--metrics-bind-address=:"):
			v.metricsPort = strings.TrimPrefix(s, "--metrics-bind-address=:")
			args[i] = "--metrics-bind-address=" + tokMetricsAddr
		}
	}
	if v.metricsPort == "" {
		return nil, fmt.Errorf("Deployment %s: no --metrics-bind-address=:PORT argument", u.GetName())
	}
	env, _ := c["env"].([]any)
	sawImage := false
	for _, e := range env {
		if m, ok := e.(map[string]any); ok && m["name"] == "TOLLGATE_IMAGE" {
			if m["value"] != image {
				return nil, fmt.Errorf("Deployment %s: TOLLGATE_IMAGE is %v, want the container image %s", u.GetName(), m["value"], image)
			}
			m["value"] = tokImage
			sawImage = true
		}
	}
	if !sawImage {
		return nil, fmt.Errorf("Deployment %s: no TOLLGATE_IMAGE env", u.GetName())
	}
	c["env"] = append(env, map[string]any{"name": tokProxyEnv})
	ports, _ := c["ports"].([]any)
	for _, p := range ports {
		if m, ok := p.(map[string]any); ok && m["name"] == "metrics" {
			if fmt.Sprint(m["containerPort"]) != v.metricsPort {
				return nil, fmt.Errorf("Deployment %s: metrics port %v, want %s as in --metrics-bind-address", u.GetName(), m["containerPort"], v.metricsPort)
			}
			m["containerPort"] = tokMetricsPort
		}
	}
	containers[0] = c
	if err := unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers"); err != nil {
		return nil, err
	}
	return v, nil
}

func isMetricsService(u *unstructured.Unstructured) bool {
	return strings.HasSuffix(u.GetName(), "-metrics")
}

func holeMetricsService(u *unstructured.Unstructured) error {
	ports, _, err := unstructured.NestedSlice(u.Object, "spec", "ports")
	if err != nil {
		return fmt.Errorf("Service %s: reading its ports: %w", u.GetName(), err)
	}
	if len(ports) != 1 {
		return fmt.Errorf("Service %s: want one port, have %d", u.GetName(), len(ports))
	}
	if m, ok := ports[0].(map[string]any); ok {
		m["port"] = tokMetricsPort
	}
	return unstructured.SetNestedSlice(u.Object, ports, "spec", "ports")
}

// holeSubjects points the ServiceAccount subjects of a binding at the
// release's namespace.
func holeSubjects(u *unstructured.Unstructured) error {
	subjects, found, err := unstructured.NestedSlice(u.Object, "subjects")
	if err != nil || !found {
		return err
	}
	for _, s := range subjects {
		if m, ok := s.(map[string]any); ok && m["namespace"] != nil {
			if m["namespace"] != chartNamespace {
				return fmt.Errorf("%s %s: subject in namespace %v, want %s", u.GetKind(), u.GetName(), m["namespace"], chartNamespace)
			}
			m["namespace"] = tokNamespace
		}
	}
	return unstructured.SetNestedSlice(u.Object, subjects, "subjects")
}

// splitImage splits "registry/name:tag" into "registry/name" and "tag".
func splitImage(image string) (string, string) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, ""
	}
	return image[:i], image[i+1:]
}

func chartYAML(v *chartValues) []byte {
	return []byte(`# Generated by hack/helm-chart (make helm-chart) from config/default. DO NOT EDIT.
apiVersion: v2
name: tollgate
description: Tollgate, the Kubernetes operator for AI gateways (OpenAI- and Anthropic-compatible, with keys, limits, routing and fallback).
type: application
version: ` + strings.TrimPrefix(v.tag, "v") + `
appVersion: ` + quoteYAML(v.tag) + `
kubeVersion: ">=1.31.0-0"
home: https://github.com/tollgate-dev/tollgate
sources:
- https://github.com/tollgate-dev/tollgate
keywords:
- ai-gateway
- operator
- openai
- anthropic
`)
}

func quoteYAML(s string) string {
	b, _ := yaml.Marshal(s)
	return strings.TrimSpace(string(b))
}

func valuesYAML(v *chartValues) ([]byte, error) {
	res, err := yaml.Marshal(map[string]any{"resources": v.resources})
	if err != nil {
		return nil, fmt.Errorf("writing values.yaml: %w", err)
	}
	return []byte(`# Generated by hack/helm-chart (make helm-chart) from config/default. DO NOT EDIT.
# The defaults are config/default's, so a Helm install and a kustomize
# install of the same version create the same objects.

# The operator image. Gateways run it too unless proxyImage is set.
image:
  repository: ` + v.repository + `
  # Defaults to the chart's appVersion.
  tag: ` + quoteYAML(v.tag) + `
  pullPolicy: ` + v.pullPolicy + `

# The image gateway pods run (` + "`tollgate proxy`" + `), as a full reference
# (registry/name:tag). Empty: the operator's own image. Pin it to upgrade the
# operator without rolling the gateways: their pods roll only when this
# image or their AIGateway's pod settings change.
proxyImage: ""

# Operator replicas; with leader election one of them reconciles.
replicas: ` + fmt.Sprint(v.replicas) + `

# The operator container's resources.
` + string(res) + `
leaderElection:
  # Elect a leader (a Lease in the release namespace), so that only one
  # operator replica reconciles.
  enabled: ` + fmt.Sprint(v.leaderElect) + `

metrics:
  # Serve the operator's Prometheus metrics and the Service in front of them.
  enabled: true
  port: ` + v.metricsPort + `

# Install into this namespace instead of the release's.
namespaceOverride: ""

# Create the namespace, labelled for the restricted Pod Security level as
# config/default does. Leave false when helm install --create-namespace (or
# anyone else) creates it.
createNamespace: false
`), nil
}

const helpersTpl = `{{/* Generated by hack/helm-chart (make helm-chart). DO NOT EDIT. */}}

{{/* The namespace every namespaced object goes to. */}}
{{- define "tollgate.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* The operator image: repository:tag, the tag defaulting to appVersion. */}}
{{- define "tollgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Labels Helm adds to every object, besides config/default's own. */}}
{{- define "tollgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
`

const notesTxt = `Tollgate {{ .Chart.AppVersion }} is installed in namespace {{ include "tollgate.namespace" . }}.
Gateways run {{ default (include "tollgate.image" .) .Values.proxyImage }}.

  kubectl -n {{ include "tollgate.namespace" . }} rollout status deployment/tollgate-operator

Then create a ModelProvider, an AIGateway and a Consumer (config/samples in
the repository, or docs/quickstart.md).
`
