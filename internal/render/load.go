// Package render runs compile on YAML files with no cluster: `tollgate
// render -f DIR` prints each AIGateway's gateway config or the problems, so
// a GitOps pull request can be checked before anything is applied.
package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/api/v1beta1"
)

// Objects are the resources read from files, by namespace.
type Objects struct {
	Gateways  []v1alpha1.AIGateway
	Providers []v1alpha1.ModelProvider
	Consumers []v1alpha1.Consumer
	Policies  []v1alpha1.TokenPolicy
	Secrets   []corev1.Secret
	// MCPServers and ConfigMaps (OpenAPI documents) are read too; an
	// MCPServer's document URL is not fetched by render.
	MCPServers []v1alpha1.MCPServer
	ConfigMaps []corev1.ConfigMap
	// Skipped counts documents of other kinds (Namespaces, Deployments...).
	Skipped int
	// Invalid lists the Tollgate objects the API server would refuse, with
	// its message (file, document: The Kind "name" is invalid: ...); they
	// are left out of the other fields.
	Invalid []error
}

var decoder runtime.Decoder

func init() {
	s := runtime.NewScheme()
	_ = v1alpha1.AddToScheme(s)
	_ = corev1.AddToScheme(s)
	decoder = serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}

// LoadPaths reads the given files and every .yaml, .yml and .json file in
// the given folders (not their subfolders, as `kubectl apply -f DIR`),
// skipping kustomization files. Objects with no namespace get
// defaultNamespace.
func LoadPaths(defaultNamespace string, paths ...string) (*Objects, error) {
	return load(defaultNamespace, false, paths)
}

// LoadPathsRecursive is LoadPaths including subfolders (`kubectl apply -R`).
func LoadPathsRecursive(defaultNamespace string, paths ...string) (*Objects, error) {
	return load(defaultNamespace, true, paths)
}

func load(defaultNamespace string, recursive bool, paths []string) (*Objects, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if f != p && !recursive {
					return filepath.SkipDir
				}
				return nil
			}
			ext := strings.ToLower(filepath.Ext(f))
			base := filepath.Base(f)
			if (ext == ".yaml" || ext == ".yml" || ext == ".json") && !strings.HasPrefix(base, "kustomization.") {
				files = append(files, f)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	sort.Strings(files)
	objs := &Objects{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		if err := objs.add(f, data, defaultNamespace); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return objs, nil
}

// add decodes every document of one multi-document YAML or JSON stream.
func (o *Objects) add(file string, data []byte, defaultNamespace string) error {
	r := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for i := 0; ; i++ {
		var raw runtime.RawExtension
		if err := r.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("document %d: %w", i+1, err)
		}
		raw.Raw = bytes.TrimSpace(raw.Raw)
		if len(raw.Raw) == 0 || string(raw.Raw) == "null" {
			continue
		}
		invalid := false
		switch err := checkSchema(raw.Raw, defaultNamespace); {
		case err == nil, errors.Is(err, errNotOurs), errors.Is(err, errUnreadable):
		default:
			o.Invalid = append(o.Invalid, fmt.Errorf("%s: document %d: %w", file, i+1, err))
			invalid = true
		}
		obj, _, err := decoder.Decode(asV1alpha1(raw.Raw), nil, nil)
		if err != nil && invalid {
			continue // reported above, in the API server's words
		}
		if err != nil {
			if runtime.IsNotRegisteredError(err) {
				o.Skipped++
				continue
			}
			return fmt.Errorf("document %d: %w", i+1, err)
		}
		if m, ok := obj.(interface {
			GetNamespace() string
			SetNamespace(string)
		}); ok && m.GetNamespace() == "" {
			m.SetNamespace(defaultNamespace)
		}
		switch t := obj.(type) {
		case *v1alpha1.AIGateway:
			o.Gateways = append(o.Gateways, *t)
		case *v1alpha1.ModelProvider:
			o.Providers = append(o.Providers, *t)
		case *v1alpha1.Consumer:
			o.Consumers = append(o.Consumers, *t)
		case *v1alpha1.TokenPolicy:
			o.Policies = append(o.Policies, *t)
		case *v1alpha1.MCPServer:
			o.MCPServers = append(o.MCPServers, *t)
		case *corev1.ConfigMap:
			o.ConfigMaps = append(o.ConfigMaps, *t)
		case *corev1.Secret:
			for k, v := range t.StringData {
				if t.Data == nil {
					t.Data = map[string][]byte{}
				}
				t.Data[k] = []byte(v)
			}
			o.Secrets = append(o.Secrets, *t)
		default:
			o.Skipped++
		}
	}
}

// errUnreadable marks a document that is not a JSON object; the typed
// decoder reports it.
var errUnreadable = errors.New("not an object")

// beta is the apiVersion of api/v1beta1.
var beta = v1beta1.GroupVersion.String()

// asV1alpha1 reads a v1beta1 document as v1alpha1, as the API server does:
// the two versions have the same schema (hack/v1beta1.sh) and convert with
// strategy None, which changes only apiVersion. Other documents are
// returned as they are.
func asV1alpha1(raw []byte) []byte {
	var head struct {
		APIVersion string `json:"apiVersion"`
	}
	if json.Unmarshal(raw, &head) != nil || head.APIVersion != beta {
		return raw
	}
	var obj map[string]any
	if utiljson.Unmarshal(raw, &obj) != nil {
		return raw
	}
	obj["apiVersion"] = v1alpha1.GroupVersion.String()
	out, err := json.Marshal(obj)
	if err != nil {
		return raw
	}
	return out
}

// checkSchema validates a document of a Tollgate kind against its CRD, in
// the namespace it would be created in.
func checkSchema(raw []byte, defaultNamespace string) error {
	var obj map[string]any
	// Numbers as the API server reads them: int64 when integral.
	if err := utiljson.Unmarshal(raw, &obj); err != nil || obj == nil {
		return errUnreadable
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		if ns, _ := md["namespace"].(string); ns == "" {
			md["namespace"] = defaultNamespace
		}
	}
	return validateObject(obj)
}
