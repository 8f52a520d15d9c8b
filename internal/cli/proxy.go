package cli

import "github.com/tollgate-dev/tollgate/internal/proxy"

func init() {
	commands["proxy"] = command{"serve a gateway config from a file or a Kubernetes Secret", proxy.Main}
}
