package cli

import "github.com/tollgate-dev/tollgate/internal/operator"

func init() {
	commands["operator"] = command{"reconcile Tollgate's resources into running gateways", operator.Main}
}
