package upstream

import (
	"net/http"
)

// Azure OpenAI (POST /openai/deployments/{deployment}/chat/completions and
// /embeddings with ?api-version=), after Microsoft's REST reference: the
// api-key header, a required api-version, and OpenAI's bodies, streams and
// error shape ({"error":{"code":"...","message":"..."}}), served by the
// OpenAI handlers once the Azure envelope is checked.

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.azure(s.openaiChat))
		mux.HandleFunc("POST /openai/deployments/{deployment}/embeddings", s.azure(s.openaiEmbeddings))
	})
}

func (s *Server) azure(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Query().Get("api-version") == "":
			openaiError(w, nil, http.StatusNotFound, "Resource not found (missing api-version)")
		case r.Header.Get("api-key") == "" && r.Header.Get("Authorization") == "":
			openaiError(w, nil, http.StatusUnauthorized,
				"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.")
		case r.Header.Get("Authorization") != "":
			openaiError(w, nil, http.StatusBadRequest, "mock: Azure OpenAI keys go in the api-key header")
		default:
			next(w, r)
		}
	}
}
