package mock

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

func call(t *testing.T, s config.MockSettings, ctx context.Context, r *providers.Request) (*Adapter, io.ReadCloser, error) {
	t.Helper()
	a, err := New(&config.Provider{Name: "mock", Type: config.ProviderMock, Mock: &s})
	if err != nil {
		t.Fatal(err)
	}
	ma := a.(*Adapter)
	req, err := ma.NewRequest(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ma.Transport().RoundTrip(req)
	if err != nil {
		return ma, nil, err
	}
	return ma, resp.Body, nil
}

func TestMockEchoAndUsage(t *testing.T) {
	body := []byte(`{"model":"pub","messages":[{"role":"user","content":"a b c"}]}`)
	tests := map[string]struct {
		settings config.MockSettings
		want     string
	}{
		"echo":  {config.MockSettings{}, "a b c"},
		"reply": {config.MockSettings{Reply: "fixed answer"}, "fixed answer"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, rc, err := call(t, tc.settings, context.Background(), &providers.Request{Op: providers.OpChat, Body: body, Model: "up"})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			out, u, err := a.Response(nil, b)
			if err != nil || !strings.Contains(string(out), `"content":"`+tc.want+`"`) || !u.Reported || u.OutputTokens != int64(len(Split(tc.want))) {
				t.Errorf("out %s usage %+v err %v", out, u, err)
			}
		})
	}
}

func TestMockStreamHidesNothingAndReportsUsage(t *testing.T) {
	body := []byte(`{"model":"pub","stream":true,"messages":[{"role":"user","content":"one two"}]}`)
	r := &providers.Request{Op: providers.OpChat, Body: body, Model: "up", Stream: true}
	a, rc, err := call(t, config.MockSettings{ChunkDelay: config.D(time.Millisecond)}, context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	st := a.Stream(r, rc)
	var text strings.Builder
	var usage *providers.Usage
	for {
		c, err := st.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Usage != nil {
			usage = c.Usage
		}
		text.Write(c.Data)
	}
	if !strings.Contains(text.String(), `"one "`) || usage == nil || usage.OutputTokens != 2 {
		t.Errorf("stream %s usage %+v", text.String(), usage)
	}
}

func TestMockLatencyHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := call(t, config.MockSettings{Latency: config.D(time.Hour)}, ctx,
		&providers.Request{Op: providers.OpChat, Body: []byte(`{"model":"m","messages":[]}`), Model: "m"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}
