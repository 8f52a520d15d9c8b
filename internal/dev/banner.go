package dev

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

func banner(w io.Writer, o Options, i Info) {
	k := fmt.Sprintf("KUBECONFIG=%s %s", i.Kubeconfig, i.Kubectl)
	fmt.Fprintf(w, `
Tollgate is running.

  Gateway (OpenAI-compatible):  %[1]s
  Consumer %[2]q key:           %[3]s
  Console (sign in with the key): %[9]s

Try it:

  curl -s %[1]s/chat/completions \
    -H "Authorization: Bearer %[3]s" \
    -H "Content-Type: application/json" \
    -d '{"model":"chat","messages":[{"role":"user","content":"Hello, Tollgate!"}]}'

  curl -s %[1]s/models -H "Authorization: Bearer %[3]s"

  %[4]s get tollgate -n %[5]s
  %[4]s wait --for=condition=Programmed aigateway/%[6]s -n %[5]s

Logs: %[7]s and %[8]s. Ctrl-C stops everything.
`, i.URL, o.Consumer, i.Key, k, o.Namespace, o.Gateway,
		filepath.Join(o.State, "operator.log"), filepath.Join(o.State, "gateway.log"),
		strings.TrimSuffix(i.URL, "/v1")+"/console/")
}
