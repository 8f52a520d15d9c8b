package cli

import "github.com/tollgate-dev/tollgate/internal/render"

func init() {
	commands["render"] = command{"compile resources from YAML files into a gateway config, with no cluster", render.Main}
}
