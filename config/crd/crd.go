// Package crd embeds the generated CustomResourceDefinitions (bases/,
// written by hack/generate.sh), so offline tools validate objects against
// exactly the schemas and CEL rules the API server is given.
package crd

import "embed"

// Bases holds bases/*.yaml.
//
//go:embed bases/*.yaml
var Bases embed.FS
