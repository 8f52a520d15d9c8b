package render

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// Redacted replaces secret values in printed configs.
const Redacted = "<redacted>"

// ErrProblems is returned when a gateway has problems that would stop part
// of it from being served.
var ErrProblems = errors.New("the resources have problems")

// ErrInvalid is returned when the API server would refuse an object: it
// fails its CRD's schema or CEL rules, or its name.
var ErrInvalid = errors.New("the API server would refuse some resources")

// Compile compiles every AIGateway in objs (or only the named one).
func Compile(objs *Objects, gateway string, now time.Time) ([]compile.Result, error) {
	var out []compile.Result
	gws := append([]v1alpha1.AIGateway(nil), objs.Gateways...)
	sort.Slice(gws, func(i, j int) bool {
		return gws[i].Namespace+"/"+gws[i].Name < gws[j].Namespace+"/"+gws[j].Name
	})
	for i := range gws {
		gw := &gws[i]
		if gateway != "" && gw.Name != gateway {
			continue
		}
		in := compile.Input{Gateway: gw, Secrets: map[string]*corev1.Secret{}, Now: now}
		for _, p := range objs.Providers {
			if p.Namespace == gw.Namespace {
				in.Providers = append(in.Providers, p)
			}
		}
		for _, c := range objs.Consumers {
			if c.Namespace == gw.Namespace {
				in.Consumers = append(in.Consumers, c)
			}
		}
		for _, p := range objs.Policies {
			if p.Namespace == gw.Namespace {
				in.Policies = append(in.Policies, p)
			}
		}
		for i := range objs.Secrets {
			if s := &objs.Secrets[i]; s.Namespace == gw.Namespace {
				in.Secrets[s.Name] = s
			}
		}
		in.ConfigMaps = map[string]*corev1.ConfigMap{}
		for i := range objs.ConfigMaps {
			if c := &objs.ConfigMaps[i]; c.Namespace == gw.Namespace {
				in.ConfigMaps[c.Name] = c
			}
		}
		for _, m := range objs.MCPServers {
			if m.Namespace == gw.Namespace {
				in.MCPServers = append(in.MCPServers, m)
			}
		}
		out = append(out, compile.Compile(in))
	}
	if len(out) == 0 {
		if gateway != "" {
			return nil, fmt.Errorf("no AIGateway named %q in the files", gateway)
		}
		return nil, errors.New("no AIGateway in the files")
	}
	return out, nil
}

// Redact returns a copy of cfg with every secret value (config.Secrets)
// replaced by Redacted; cfg is not changed.
func Redact(cfg *config.Config) *config.Config { return cfg.Redacted(Redacted) }

// blocking reports whether a problem is one an operator would also report
// as an error. A generated consumer key that does not exist yet is expected
// in files: the operator creates it. A shadowed identity match leaves the
// config whole (the other Consumer wins it): a note.
func blocking(p compile.Problem) bool {
	return p.Reason != v1alpha1.ReasonKeyNotReady && p.Reason != v1alpha1.ReasonIdentityShadowed
}

// Main implements `tollgate render`.
func Main(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files multiFlag
	fs.Var(&files, "f", "a YAML/JSON file or folder of Tollgate resources and Secrets (repeatable)")
	gateway := fs.String("gateway", "", "render only the AIGateway with this name")
	namespace := fs.String("namespace", "default", "namespace of objects that name none")
	output := fs.String("o", "yaml", "output format: yaml or json")
	recursive := fs.Bool("R", false, "also read the subfolders of -f folders")
	showSecrets := fs.Bool("show-secrets", false, "print vendor keys and passwords instead of "+Redacted)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: tollgate render -f DIR [-f FILE...] [--gateway NAME] [-o yaml|json]")
		fmt.Fprintln(stderr, "Compiles AIGateways with their ModelProviders, Consumers, TokenPolicies and Secrets")
		fmt.Fprintln(stderr, "into the gateway config, with no cluster. Each resource is first checked against its")
		fmt.Fprintln(stderr, "CRD's schema and CEL rules as the API server would. Exits 1 when a resource is")
		fmt.Fprintln(stderr, "invalid or has a problem.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return errors.New("render: -f is required")
	}
	if *output != "yaml" && *output != "json" {
		return fmt.Errorf("render: -o must be yaml or json, not %q", *output)
	}
	load := LoadPaths
	if *recursive {
		load = LoadPathsRecursive
	}
	objs, err := load(*namespace, files...)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if len(objs.Invalid) > 0 {
		for _, e := range objs.Invalid {
			fmt.Fprintf(stderr, "error: %v\n", e)
		}
		return ErrInvalid
	}
	results, err := Compile(objs, *gateway, time.Now())
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	failed := false
	for i, r := range results {
		cfg := r.Config
		if !*showSecrets {
			cfg = Redact(cfg)
		}
		js, err := config.Marshal(cfg)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(stdout, "---")
		}
		if *output == "json" {
			stdout.Write(js)
		} else {
			y, err := yaml.JSONToYAML(js)
			if err != nil {
				return fmt.Errorf("render: %w", err)
			}
			fmt.Fprintf(stdout, "# AIGateway %s/%s\n", cfg.Gateway.Namespace, cfg.Gateway.Name)
			stdout.Write(y)
		}
		for _, p := range r.Problems {
			level := "error"
			if !blocking(p) {
				level = "note"
			} else {
				failed = true
			}
			fmt.Fprintf(stderr, "%s: %s %s: %s=False %s: %s\n", level, p.Kind, p.Name, p.Condition, p.Reason, p.Message)
		}
	}
	if failed {
		return ErrProblems
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
