package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

func TestFormatUSD(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0.00", 1: "1.00", 1.5: "1.50", 0.75: "0.75", 0.123: "0.123", 0.1234567: "0.123457",
		0.000012: "0.000012", 0.0000001: "0.00", 1234.5: "1234.50", -1: "0.00",
	} {
		if got := formatUSD(in); got != want {
			t.Errorf("formatUSD(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestConsumerTotals(t *testing.T) {
	gw := func(name string) v1alpha1.AIGateway {
		return v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	}
	gws := []v1alpha1.AIGateway{gw("a"), gw("b"), {ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "a"}}}
	cs := &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c"}}
	key := func(ns, n string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: n} }
	nov := usageTotals{window: "2026-11", requests: 1, inputTokens: 10, outputTokens: 5, costUSD: 0.25}
	dec := usageTotals{window: "2026-12", requests: 7}
	cases := map[string]struct {
		readings map[types.NamespacedName]gatewayUsage
		want     usageTotals
		ok       bool
	}{
		"summed over the gateways it calls, not another namespace's": {map[types.NamespacedName]gatewayUsage{
			key("ns", "a"): {"c": nov}, key("ns", "b"): {"c": nov}, key("other", "a"): {"c": nov},
		}, usageTotals{window: "2026-11", requests: 2, inputTokens: 20, outputTokens: 10, costUSD: 0.5}, true},
		"a gateway without any reading leaves status alone": {map[types.NamespacedName]gatewayUsage{
			key("ns", "a"): {"c": nov},
		}, usageTotals{}, false},
		"counted by no gateway": {map[types.NamespacedName]gatewayUsage{
			key("ns", "a"): {}, key("ns", "b"): {"d": nov},
		}, usageTotals{}, false},
		"a later window replaces an earlier one": {map[types.NamespacedName]gatewayUsage{
			key("ns", "a"): {"c": nov}, key("ns", "b"): {"c": dec},
		}, dec, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := consumerTotals(cs, gws, tc.readings)
			if ok != tc.ok || got != tc.want {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestSliceEndpoints(t *testing.T) {
	port := func(n string, p int32) discoveryv1.EndpointPort { return discoveryv1.EndpointPort{Name: &n, Port: &p} }
	yes, no := true, false
	slice := func(name, svc string, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
			AddressType: discoveryv1.AddressTypeIPv4, Ports: ports, Endpoints: eps,
		}
	}
	ep := func(ip string, ready *bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ready}}
	}
	c := fake.NewClientBuilder().WithObjects(
		slice("main-1", "main", []discoveryv1.EndpointPort{port("http", 8080), port("metrics", 9090)},
			ep("10.0.0.1", &yes), ep("10.0.0.2", &no), ep("10.0.0.3", nil)),
		slice("main-2", "main", []discoveryv1.EndpointPort{port("metrics", 9091)}, ep("10.0.0.4", &yes), ep("10.0.0.1", &yes)),
		slice("main-3", "main", []discoveryv1.EndpointPort{port("http", 8080)}, ep("10.0.0.5", &yes)),
		slice("other-1", "other", []discoveryv1.EndpointPort{port("metrics", 9090)}, ep("10.0.0.6", &yes)),
	).Build()
	got, err := sliceEndpoints(context.Background(), c, &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "main"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.1:9090", "10.0.0.1:9091", "10.0.0.3:9090", "10.0.0.4:9091"}
	if !slices.Equal(got, want) {
		t.Errorf("endpoints = %v, want %v (ready or unknown, metrics port, this Service only)", got, want)
	}
}

// A round writes at most its budget, the never-written and oldest first,
// and the budget is the operator-wide rate over the interval.
func TestUsageWritesBounded(t *testing.T) {
	at := func(name string, min int) usageWrite {
		cs := &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if min >= 0 {
			cs.Status.Usage = &v1alpha1.ConsumerUsage{UpdatedAt: &metav1.Time{Time: time.Date(2026, 12, 1, 10, min, 0, 0, time.UTC)}}
		}
		return usageWrite{cs: cs}
	}
	due := []usageWrite{at("new", 9), at("old", 1), at("never", -1), at("mid", 5), at("never2", -1)}
	var got []string
	for _, w := range stalestFirst(due, 3) {
		got = append(got, w.cs.Name)
	}
	if want := []string{"never", "never2", "old"}; !slices.Equal(got, want) {
		t.Errorf("written %v, want %v", got, want)
	}
	if n := len(stalestFirst(due, 10)); n != 5 {
		t.Errorf("%d written under a budget larger than the work", n)
	}
	for interval, want := range map[time.Duration]int{30 * time.Second: 450, time.Minute: UsageWritesPerMinute, time.Millisecond: 1} {
		if got := (&usageCollector{collector: collector{interval: interval}}).writeBudget(); got != want {
			t.Errorf("budget at %s: %d, want %d", interval, got, want)
		}
	}
}
