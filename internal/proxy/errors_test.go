package proxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// An error answer off the client API (writeJSON of wire, as /usage and
// /availability answer) and on it (writeError) spell one body: param and
// code named when set, null when not.
func TestErrorBodyIsOneShape(t *testing.T) {
	for _, tc := range []struct {
		e    *apiError
		want string
	}{
		{badRequest("offset and limit must be whole numbers.", "offset"),
			`{"error":{"message":"offset and limit must be whole numbers.","type":"invalid_request_error","param":"offset","code":"invalid_request"}}`},
		{&apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: "down"},
			`{"error":{"message":"down","type":"server_error","param":null,"code":null}}`},
	} {
		on := httptest.NewRecorder()
		writeError(on, tc.e)
		if on.Code != tc.e.Status || on.Body.String() != tc.want {
			t.Errorf("writeError: %d %s, want %d %s", on.Code, on.Body, tc.e.Status, tc.want)
		}
		off := httptest.NewRecorder()
		writeJSON(off, tc.e.Status, tc.e.wire())
		if got := strings.TrimSuffix(off.Body.String(), "\n"); off.Code != tc.e.Status || got != tc.want {
			t.Errorf("writeJSON of wire: %d %s, want %d %s", off.Code, got, tc.e.Status, tc.want)
		}
	}
}
