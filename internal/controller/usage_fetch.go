package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

const (
	// usageTimeout bounds one GET /usage.
	usageTimeout = 2 * time.Second
	// usageBodyLimit bounds one /usage answer.
	usageBodyLimit = 16 << 20
)

// usageFetcher GETs /usage from gateway replicas, at most usageConcurrency
// at a time.
type usageFetcher struct {
	http *http.Client
	sem  chan struct{}
}

func newUsageFetcher() *usageFetcher {
	return &usageFetcher{
		http: &http.Client{
			Timeout: usageTimeout,
			Transport: &http.Transport{
				Proxy:               nil, // in-cluster pod addresses
				DialContext:         (&net.Dialer{Timeout: usageTimeout}).DialContext,
				MaxIdleConnsPerHost: 1,
				IdleConnTimeout:     2 * DefaultUsageInterval,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sem: make(chan struct{}, usageConcurrency),
	}
}

// usageError is the body of a failed /usage answer (OpenAI's error shape).
type usageError struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// usageMaxPages bounds the pages one reading follows (a million
// consumers at config.UsagePageMax a page).
const usageMaxPages = 1000

// fetch reads one replica's metrics listener at addr ("host:port"), page
// by page. A consumer seen twice (the served config changed between two
// pages and shifted the order) counts once.
func (f *usageFetcher) fetch(ctx context.Context, addr string) (gatewayUsage, error) {
	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := gatewayUsage{}
	offset := 0
	for range usageMaxPages {
		rep, err := f.page(ctx, addr, offset)
		if err != nil {
			return nil, err
		}
		for _, c := range rep.Consumers {
			if _, seen := out[c.Name]; seen {
				continue
			}
			window := c.Window
			if window == "" {
				window = rep.Window
			}
			out[c.Name] = usageTotals{window: window, requests: c.Requests, inputTokens: c.InputTokens, outputTokens: c.OutputTokens, costUSD: c.CostUSD}
		}
		for _, p := range rep.Pools {
			out[poolReadingKey(p.Policy)] = usageTotals{window: p.Window, costUSD: p.CostUSD}
		}
		if rep.Next <= offset {
			return out, nil
		}
		offset = rep.Next
	}
	return out, nil
}

// page reads one page of /usage.
func (f *usageFetcher) page(ctx context.Context, addr string, offset int) (*config.UsageReport, error) {
	var rep config.UsageReport
	u := fmt.Sprintf("http://%s/usage?offset=%d&limit=%d", addr, offset, config.UsagePageMax)
	if err := f.getJSON(ctx, u, usageBodyLimit, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// getJSON GETs u from a replica's metrics listener into v, within
// usageTimeout and reading at most limit bytes.
func (f *usageFetcher) getJSON(ctx context.Context, u string, limit int64, v any) error {
	ctx, cancel := context.WithTimeout(ctx, usageTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, limit)
	if resp.StatusCode != http.StatusOK {
		var e usageError
		_ = json.NewDecoder(body).Decode(&e)
		return fmt.Errorf("GET %s: HTTP %d: %s", u, resp.StatusCode, e.Error.Message)
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: decoding: %w", u, err)
	}
	return nil
}

// sliceEndpoints lists the metrics listeners of a gateway's ready pods
// from the EndpointSlices of its Service. The slices carry the Service's
// labels (the EndpointSlice controller copies them), so the operator's
// cache holds only those of Tollgate's Services.
func sliceEndpoints(ctx context.Context, c client.Reader, gw *v1alpha1.AIGateway) ([]string, error) {
	var list discoveryv1.EndpointSliceList
	if err := c.List(ctx, &list, client.InNamespace(gw.Namespace), client.MatchingLabels{discoveryv1.LabelServiceName: gw.Name}); err != nil {
		return nil, fmt.Errorf("listing EndpointSlices of Service %s/%s: %w", gw.Namespace, gw.Name, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range list.Items {
		var port int32
		for _, p := range s.Ports {
			if p.Name != nil && *p.Name == resources.PortMetrics && p.Port != nil {
				port = *p.Port
			}
		}
		if port == 0 {
			continue
		}
		for _, e := range s.Endpoints {
			// A nil ready means unknown, which consumers read as ready.
			if (e.Conditions.Ready != nil && !*e.Conditions.Ready) || len(e.Addresses) == 0 {
				continue
			}
			a := net.JoinHostPort(e.Addresses[0], strconv.Itoa(int(port)))
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
