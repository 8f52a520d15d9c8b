package proxy

import (
	"net/http"
	"strings"
	"time"
)

// preAuthBodyTimeout bounds how long a request may keep its connection
// before it is authenticated: authentication reads only the headers, and a
// refused request is answered at once with Connection: close, so this
// deadline is a backstop against anything that would read (or drain) the
// body of a caller without a key. Authenticated requests get the server's
// readTimeout for their body instead.
const preAuthBodyTimeout = 5 * time.Second

// guardBody sets the pre-authentication read deadline (never later than
// the server's readTimeout).
func guardBody(w http.ResponseWriter, sn *snapshot) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(min(preAuthBodyTimeout, sn.readTimeout)))
}

// closeUnread marks an answer sent before the request body was read: the
// connection is closed after it, so the server neither waits to drain a
// body a client may trickle forever nor reads its rest as a new request.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

// canonicalPath reports whether the request line spelled its path
// canonically: no percent-encoding that decodes to something else
// (/v1/chat%2Fcompletions is not /v1/chat/completions), except in the
// model id of /v1/models/{id}, which SDKs escape. Doubled slashes, dot
// segments and trailing dots match no route, so they are 404 as well.
func canonicalPath(r *http.Request) bool {
	raw := r.URL.RawPath
	if raw == "" {
		return true
	}
	rest, ok := strings.CutPrefix(raw, "/v1/models/")
	return ok && rest != "" && r.URL.Path != "/v1/models/"
}
