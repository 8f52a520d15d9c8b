package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
)

func marshal(cfg *config.Config) ([]byte, error) {
	data, err := config.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("marshalling the config: %w", err)
	}
	return data, nil
}

// reloadUnderLoad runs conc clients (random consumers and models, one
// request in four a stream) until n requests or ctx, and meanwhile loads
// the two configs in turn, reloads times. Every answer must be a 200 and
// every stream must end with [DONE].
func reloadUnderLoad(ctx context.Context, s *proxy.Server, url string, keys []string, configs [2][]byte, providers, n, conc, reloads int) *loadStats {
	st := &loadStats{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}, Timeout: 30 * time.Second}
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	loadDone := make(chan struct{})
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if ctx.Err() != nil {
					return
				}
				st.sent.Add(1)
				key := keys[1+rand.IntN(len(keys)-1)]
				model := fmt.Sprintf("m%d-%c", rand.IntN(providers), 'a'+rune(rand.IntN(2)))
				oneRequest(ctx, client, url, key, model, i%4 == 0, st)
			}
		}()
	}
	go func() { wg.Wait(); close(loadDone) }()
	// Reload while the load runs, spread over its first part.
	for i := 0; i < reloads; i++ {
		select {
		case <-loadDone:
			i = reloads
			continue
		case <-time.After(100 * time.Millisecond):
		}
		t := time.Now()
		if err := s.LoadBytes(configs[i%2]); err != nil {
			st.fail(false, "reload: "+err.Error())
			continue
		}
		st.reloads = append(st.reloads, time.Since(t))
	}
	<-loadDone
	return st
}

func oneRequest(ctx context.Context, client *http.Client, url, key, model string, stream bool, st *loadStats) {
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"hello"}],"max_tokens":16`
	if stream {
		body += `,"stream":true`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", strings.NewReader(body+"}"))
	if err != nil {
		st.fail(false, err.Error())
		return
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			st.fail(false, err.Error())
		}
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode != http.StatusOK:
		st.fail(false, fmt.Sprintf("status %d: %.200s", resp.StatusCode, data))
	case err != nil && ctx.Err() == nil:
		st.fail(stream, "reading: "+err.Error())
	case stream && !bytes.Contains(data, []byte("data: [DONE]")):
		st.fail(true, fmt.Sprintf("stream without [DONE]: %.200s", data))
	}
}
