package proxy

import (
	"encoding/json"
	"net/http"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"encoding failed","type":"server_error","param":null,"code":null}}`)
	}
	w.Header().Set("Cache-Control", "no-store")
	_ = writeAnswer(w, status, append(b, '\n'))
}
