package cli

import "github.com/tollgate-dev/tollgate/internal/dev"

func init() {
	commands["dev"] = command{"run a local control plane, the operator, the samples and a gateway (make run)", dev.Main}
}
