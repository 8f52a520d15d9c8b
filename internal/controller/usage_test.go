package controller_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/poll"
)

// The shared manager collects usage often, and reads it from the servers
// a test registers for its gateway instead of EndpointSlices.
const usageInterval = 200 * time.Millisecond

var usageAt sync.Map // "namespace/name" → []string

func usageEndpoints(gw *v1alpha1.AIGateway) []string {
	if v, ok := usageAt.Load(gw.Namespace + "/" + gw.Name); ok {
		return v.([]string)
	}
	return nil
}

func serveUsageFor(t *testing.T, gw *v1alpha1.AIGateway, servers ...*usageServer) {
	key := gw.Namespace + "/" + gw.Name
	addrs := make([]string, 0, len(servers))
	for _, s := range servers {
		addrs = append(addrs, s.addr())
	}
	usageAt.Store(key, addrs)
	t.Cleanup(func() { usageAt.Delete(key) })
}

// usageServer is one gateway replica's metrics listener, answering GET
// /usage like internal/proxy with what the test sets.
type usageServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	status   int
	body     string
	hits     atomic.Int64
	failures atomic.Int64
}

func newUsageServer(t *testing.T) *usageServer { return newUsageServerOn(t, "127.0.0.1") }

// newUsageServerOn listens on ip, a free port.
func newUsageServerOn(t *testing.T, ip string) *usageServer {
	s := &usageServer{status: http.StatusOK, body: `{"gateway":"x","window":"2026-11","consumers":[]}`}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/usage" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		s.hits.Add(1)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		if status != http.StatusOK {
			s.failures.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintln(w, body)
	}))
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	must(t, err)
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *usageServer) addr() string { return s.srv.Listener.Addr().String() }

func (s *usageServer) port() int32 { return int32(s.srv.Listener.Addr().(*net.TCPAddr).Port) }

// hostIP is a non-loopback IPv4 address of this machine: EndpointSlices
// refuse loopback addresses.
func hostIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// serve answers with consumer demo's use; cost is a JSON number, as the
// proxy writes it.
func (s *usageServer) serve(requests, in, out int64, cost string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = http.StatusOK
	s.body = fmt.Sprintf(`{"gateway":"ns/main","window":"2026-11","consumers":[`+
		`{"name":"demo","window":"2026-11","windowKind":"Month","requests":%d,"inputTokens":%d,"outputTokens":%d,"costUSD":%s,"models":{"mock-large":{"requests":%d}}},`+
		`{"name":"someone-else","window":"2026-11","requests":1000,"inputTokens":1,"outputTokens":1,"costUSD":9}]}`,
		requests, in, out, cost, requests)
}

// fail answers 503 like the proxy when its counter store is down.
func (s *usageServer) fail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = http.StatusServiceUnavailable
	s.body = `{"error":{"message":"Usage cannot be read right now: the limit store is unavailable.","type":"server_error","param":null,"code":"usage_unavailable"}}`
}

// wantUsage waits for consumer demo's status.usage to read as given.
func wantUsage(t *testing.T, c client.Client, ns string, requests, in, out int64, cost string) *v1alpha1.Consumer {
	t.Helper()
	ctx := context.Background()
	cs := &v1alpha1.Consumer{}
	poll.Until(t, converge, func() error {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, cs); err != nil {
			return err
		}
		u := cs.Status.Usage
		if u == nil {
			return fmt.Errorf("no status.usage yet")
		}
		if u.Window != "2026-11" || u.Requests != requests || u.InputTokens != in || u.OutputTokens != out || u.CostUSD != cost || u.UpdatedAt == nil {
			return fmt.Errorf("status.usage = %+v, want %d requests, %d in, %d out, $%s", *u, requests, in, out, cost)
		}
		return nil
	})
	return cs
}

// TestUsageLocalSumsReplicas: with the Local store each replica counts its
// own, so status.usage is the sum; a replica that fails keeps the last
// value instead of a partial sum.
func TestUsageLocalSumsReplicas(t *testing.T) {
	c, ns, gw := convergedSamples(t)
	a, b := newUsageServer(t), newUsageServer(t)
	a.serve(2, 100, 50, "0.5")
	b.serve(3, 200, 25, "0.25")
	serveUsageFor(t, gw, a, b)
	before := wantUsage(t, c, ns, 5, 300, 75, "0.75")

	b.fail()
	a.serve(10, 1000, 500, "5")
	// Two failed reads of b mean a whole round saw the failure and
	// finished writing before the second one began.
	poll.Until(t, converge, func() error {
		if n := b.failures.Load(); n < 2 {
			return fmt.Errorf("%d failed reads so far", n)
		}
		return nil
	})
	kept := wantUsage(t, c, ns, 5, 300, 75, "0.75")
	if !kept.Status.Usage.UpdatedAt.Equal(before.Status.Usage.UpdatedAt) {
		t.Errorf("usage was rewritten while a replica failed: updatedAt %v → %v", before.Status.Usage.UpdatedAt, kept.Status.Usage.UpdatedAt)
	}

	b.serve(3, 200, 25, "0.123456789")
	wantUsage(t, c, ns, 13, 1200, 525, "5.123457")
}

// TestUsageRedisReadsOne: with the Redis store the replicas share their
// counters, so one answer counts (not the sum), and another replica is
// read when that one fails.
func TestUsageRedisReadsOne(t *testing.T) {
	c := env(t)
	ns := namespace(t, c)
	gw := samples(t, c, ns, func(gw *v1alpha1.AIGateway) {
		gw.Spec.Limits = &v1alpha1.LimitsSettings{Store: &v1alpha1.LimitsStore{
			Type: v1alpha1.StoreRedis, Redis: &v1alpha1.RedisSettings{Addresses: []v1alpha1.HostPort{"redis.example:6379"}},
		}}
	})
	converged(t, c, gw)
	a, b := newUsageServer(t), newUsageServer(t)
	a.serve(4, 40, 4, "1")
	b.serve(4, 40, 4, "1")
	serveUsageFor(t, gw, a, b)
	wantUsage(t, c, ns, 4, 40, 4, "1.00")
	if n := b.hits.Load(); n != 0 {
		t.Errorf("the second replica was read %d times although the first answered", n)
	}

	a.fail()
	b.serve(6, 60, 6, "1.5")
	wantUsage(t, c, ns, 6, 60, 6, "1.50")
}

// TestUsageFromEndpointSlices: without an override the collector reads the
// ready endpoints of the gateway Service's EndpointSlices, on the metrics
// port. The not-ready endpoint has nothing listening; reading it would
// fail the Local gateway's round and no usage would appear.
func TestUsageFromEndpointSlices(t *testing.T) {
	c, ns, _ := convergedSamples(t)
	ctx := context.Background()
	ip := hostIP()
	if ip == "" {
		t.Skip("no non-loopback IPv4 address to put in an EndpointSlice; sliceEndpoints is unit-tested in usage_unit_test.go")
	}
	a := newUsageServerOn(t, ip)
	a.serve(7, 70, 7, "0.07")
	metricsPort, httpPort := a.port(), int32(1)
	must(t, c.Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "main-x1", Labels: map[string]string{
			discoveryv1.LabelServiceName: "main", "app.kubernetes.io/managed-by": "tollgate",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
			{Addresses: []string{"192.0.2.254"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
		},
		Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: &httpPort}, {Name: ptr("metrics"), Port: &metricsPort}},
	}))
	wantUsage(t, c, ns, 7, 70, 7, "0.07")
}
