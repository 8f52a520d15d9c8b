package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/config/crd"
)

// schemaValidator validates one kind as the API server does on create:
// defaults from the schema, then object metadata (names), the OpenAPI
// schema, list invariants and the x-kubernetes-validations CEL rules,
// through the API server's own strategy.
type schemaValidator struct {
	structural *structuralschema.Structural
	strategy   interface {
		Validate(ctx context.Context, obj runtime.Object) field.ErrorList
	}
}

var (
	validatorsOnce sync.Once
	validators     map[schema.GroupVersionKind]*schemaValidator
	validatorsErr  error
)

// crdValidators builds a validator per kind and version from the embedded
// CRDs, once.
func crdValidators() (map[schema.GroupVersionKind]*schemaValidator, error) {
	validatorsOnce.Do(func() {
		validators, validatorsErr = buildValidators(crd.Bases)
	})
	return validators, validatorsErr
}

func buildValidators(fsys fs.FS) (map[schema.GroupVersionKind]*schemaValidator, error) {
	files, err := fs.Glob(fsys, "bases/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("listing the embedded CRDs: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New("no embedded CRDs")
	}
	out := map[schema.GroupVersionKind]*schemaValidator{}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		var c apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, v := range c.Spec.Versions {
			if v.Schema == nil {
				continue
			}
			gvk := schema.GroupVersionKind{Group: c.Spec.Group, Version: v.Name, Kind: c.Spec.Names.Kind}
			sv, err := newSchemaValidator(&c, v, gvk)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", f, v.Name, err)
			}
			out[gvk] = sv
		}
	}
	return out, nil
}

func newSchemaValidator(c *apiextensionsv1.CustomResourceDefinition, v apiextensionsv1.CustomResourceDefinitionVersion, gvk schema.GroupVersionKind) (*schemaValidator, error) {
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema: %w", err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("structural schema: %w", err)
	}
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("schema defaults: %w", err)
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("schema validator: %w", err)
	}
	strategy := customresource.NewStrategy(runtime.NewScheme(), c.Spec.Scope == apiextensionsv1.NamespaceScoped, gvk,
		validator, nil, s, nil, nil, nil)
	return &schemaValidator{structural: s, strategy: strategy}, nil
}

// errNotOurs marks a document of a kind render does not validate.
var errNotOurs = errors.New("not a Tollgate kind")

// validateObject checks one decoded document against its CRD. The error
// is the API server's own (apierrors.NewInvalid), so it reads as kubectl
// shows it: `The ModelProvider "x" is invalid: spec.endpoint: ...`.
func validateObject(obj map[string]any) error {
	vs, err := crdValidators()
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(obj)}
	delete(u.Object, "status") // a create drops status (PrepareForCreate)
	gvk := u.GroupVersionKind()
	v, ok := vs[gvk]
	if !ok {
		return errNotOurs
	}
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, v.structural)
	structuraldefaulting.Default(u.Object, v.structural)
	if errs := v.strategy.Validate(context.Background(), u); len(errs) > 0 {
		return apierrors.NewInvalid(gvk.GroupKind(), u.GetName(), errs)
	}
	return nil
}
