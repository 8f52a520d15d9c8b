// Package tryit holds what both quickstarts (`make run` and `make run
// CLUSTER=1`) print for a user to try the gateway: the same two requests
// against its OpenAI-compatible base URL with the demo consumer's key. It
// imports nothing of the quickstarts, so the cluster one does not pull in
// the local control plane.
package tryit

import "fmt"

// Curl is the "Try it:" block: a chat completion and the model list at
// url (the base URL, ending in /v1) with key, ending in a newline.
func Curl(url, key string) string {
	return fmt.Sprintf(`Try it:

  curl -s %[1]s/chat/completions \
    -H "Authorization: Bearer %[2]s" \
    -H "Content-Type: application/json" \
    -d '{"model":"chat","messages":[{"role":"user","content":"Hello, Tollgate!"}]}'

  curl -s %[1]s/models -H "Authorization: Bearer %[2]s"
`, url, key)
}
