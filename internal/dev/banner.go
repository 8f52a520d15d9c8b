package dev

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/dev/tryit"
)

func banner(w io.Writer, o Options, i Info) {
	k := fmt.Sprintf("KUBECONFIG=%s %s", i.Kubeconfig, i.Kubectl)
	fmt.Fprintf(w, `
Tollgate is running.

  Gateway (OpenAI-compatible):  %[1]s
  Consumer %[2]q key:           %[3]s
  Console (sign in with the key): %[9]s

%[10]s
  %[4]s get tollgate -n %[5]s
  %[4]s wait --for=condition=Programmed aigateway/%[6]s -n %[5]s

Logs: %[7]s and %[8]s. Ctrl-C stops everything.
`, i.URL, o.Consumer, i.Key, k, o.Namespace, o.Gateway,
		filepath.Join(o.State, "operator.log"), filepath.Join(o.State, "gateway.log"),
		strings.TrimSuffix(i.URL, "/v1")+"/console/", tryit.Curl(i.URL, i.Key))
}
