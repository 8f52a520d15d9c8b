package packaging

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// csvMarker is the operator-sdk marker that describes a kind in the CSV.
// Only its type-level form is read (displayName, resources); spec and
// status descriptors come from the CRD schema (see descriptors).
const csvMarker = "+operator-sdk:csv:customresourcedefinitions:"

// kindMarker is what a type-level csvMarker says about one kind.
type kindMarker struct {
	DisplayName string
	Resources   []operatorsv1alpha1.APIResourceReference
}

// readMarkers parses the Go files of dir (api/v1alpha1) and returns the
// csvMarker of each type that has one, by type name. A csvMarker anywhere
// else (on a field) is an error rather than silently ignored.
func readMarkers(dir string) (map[string]kindMarker, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	out := map[string]kindMarker{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		onTypes := map[*ast.Comment]bool{}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE || len(gd.Specs) != 1 || gd.Doc == nil {
				continue
			}
			ts := gd.Specs[0].(*ast.TypeSpec)
			for _, c := range gd.Doc.List {
				body, ok := strings.CutPrefix(strings.TrimPrefix(c.Text, "//"), " "+csvMarker)
				if !ok {
					continue
				}
				m, err := parseKindMarker(body)
				if err != nil {
					return nil, fmt.Errorf("%s: type %s: %w", fset.Position(c.Pos()), ts.Name.Name, err)
				}
				out[ts.Name.Name] = m
				onTypes[c] = true
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if strings.Contains(c.Text, csvMarker) && !onTypes[c] {
					return nil, fmt.Errorf("%s: %s is read on type declarations only; spec and status descriptors come from the CRD schema", fset.Position(c.Pos()), csvMarker)
				}
			}
		}
	}
	return out, nil
}

// parseKindMarker parses `displayName="AI Gateway",resources={{Deployment,v1,""},...}`.
func parseKindMarker(body string) (kindMarker, error) {
	var m kindMarker
	for _, arg := range splitTop(body) {
		key, val, ok := strings.Cut(arg, "=")
		if !ok {
			return m, fmt.Errorf("marker argument %q is not key=value", arg)
		}
		switch key {
		case "displayName":
			s, err := strconv.Unquote(val)
			if err != nil {
				return m, fmt.Errorf("displayName %s: %w", val, err)
			}
			m.DisplayName = s
		case "resources":
			inner, ok := trimBraces(val)
			if !ok {
				return m, fmt.Errorf("resources %s: want {{Kind,version,\"name\"},...}", val)
			}
			for _, r := range splitTop(inner) {
				fields, ok := trimBraces(r)
				parts := strings.Split(fields, ",")
				if !ok || len(parts) != 3 {
					return m, fmt.Errorf("resource %s: want {Kind,version,\"name\"}", r)
				}
				name, err := strconv.Unquote(parts[2])
				if err != nil {
					return m, fmt.Errorf("resource %s: name: %w", r, err)
				}
				m.Resources = append(m.Resources, operatorsv1alpha1.APIResourceReference{Kind: parts[0], Version: parts[1], Name: name})
			}
		default:
			return m, fmt.Errorf("unsupported marker argument %q", key)
		}
	}
	return m, nil
}

// splitTop splits s on the commas that are outside braces and quotes.
func splitTop(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '{':
			depth++
		case r == '}':
			depth--
		case r == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func trimBraces(s string) (string, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return "", false
	}
	return s[1 : len(s)-1], true
}

// ownedCRD describes crd for the CSV: display name and resources from the
// kind's marker, descriptors from the storage version's schema.
func ownedCRD(crd *apiextensionsv1.CustomResourceDefinition, markers map[string]kindMarker) (operatorsv1alpha1.CRDDescription, error) {
	kind := crd.Spec.Names.Kind
	var v *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Storage {
			v = &crd.Spec.Versions[i]
		}
	}
	if v == nil || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		return operatorsv1alpha1.CRDDescription{}, fmt.Errorf("CRD %s has no storage version with a schema", crd.Name)
	}
	m, ok := markers[kind]
	if !ok {
		return operatorsv1alpha1.CRDDescription{}, fmt.Errorf("kind %s has no %s marker in api/", kind, csvMarker)
	}
	root := v.Schema.OpenAPIV3Schema
	d := operatorsv1alpha1.CRDDescription{
		Name:        crd.Name,
		Version:     v.Name,
		Kind:        kind,
		DisplayName: m.DisplayName,
		Description: firstParagraph(root.Description),
		Resources:   m.Resources,
	}
	for _, f := range fields(root, "spec") {
		d.SpecDescriptors = append(d.SpecDescriptors, operatorsv1alpha1.SpecDescriptor{
			Path: f.name, DisplayName: displayName(f.name), Description: firstParagraph(f.schema.Description),
			XDescriptors: specXDescriptors(f.name, f.schema),
		})
	}
	for _, f := range fields(root, "status") {
		if f.name == "observedGeneration" || f.name == "selector" {
			continue // bookkeeping, not for people
		}
		d.StatusDescriptors = append(d.StatusDescriptors, operatorsv1alpha1.StatusDescriptor{
			Path: f.name, DisplayName: displayName(f.name), Description: firstParagraph(f.schema.Description),
			XDescriptors: statusXDescriptors(f.name),
		})
	}
	return d, nil
}

type field struct {
	name   string
	schema apiextensionsv1.JSONSchemaProps
}

// fields lists the top-level properties of root.properties[part], by name.
func fields(root *apiextensionsv1.JSONSchemaProps, part string) []field {
	var out []field
	for name, s := range root.Properties[part].Properties {
		out = append(out, field{name, s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// The OLM console widgets (x-descriptors) a field gets.
const (
	xPodCount   = "urn:alm:descriptor:com.tectonic.ui:podCount"
	xBoolean    = "urn:alm:descriptor:com.tectonic.ui:booleanSwitch"
	xSelect     = "urn:alm:descriptor:com.tectonic.ui:select:"
	xConditions = "urn:alm:descriptor:io.kubernetes.conditions"
	xLink       = "urn:alm:descriptor:org.w3:link"
	xSecret     = "urn:alm:descriptor:io.kubernetes:Secret"
)

func specXDescriptors(name string, s apiextensionsv1.JSONSchemaProps) []string {
	switch {
	case name == "replicas" && s.Type == "integer":
		return []string{xPodCount}
	case s.Type == "boolean":
		return []string{xBoolean}
	case s.Type == "string" && len(s.Enum) > 0:
		var out []string
		for _, e := range s.Enum {
			v, err := strconv.Unquote(string(e.Raw))
			if err != nil {
				v = string(e.Raw)
			}
			out = append(out, xSelect+v)
		}
		return out
	}
	return nil
}

func statusXDescriptors(name string) []string {
	switch name {
	case "conditions":
		return []string{xConditions}
	case "url":
		return []string{xLink}
	case "secretName":
		return []string{xSecret}
	}
	return nil
}

// acronyms are written in capitals in display names.
var acronyms = map[string]string{"url": "URL", "http": "HTTP", "tls": "TLS", "usd": "USD", "api": "API"}

// displayName turns a JSON field name into words: "httpRoute" → "HTTP Route".
func displayName(name string) string {
	var words []string
	start := 0
	for i := 1; i <= len(name); i++ {
		if i == len(name) || (name[i] >= 'A' && name[i] <= 'Z') {
			words = append(words, name[start:i])
			start = i
		}
	}
	for i, w := range words {
		if a, ok := acronyms[strings.ToLower(w)]; ok {
			words[i] = a
		} else {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// firstParagraph is the first paragraph of a schema description on one line.
func firstParagraph(s string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(s), "\n\n")
	return strings.Join(strings.Fields(p), " ")
}
