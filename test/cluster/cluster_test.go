package cluster_test

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-dev/tollgate/internal/cluster"
	"github.com/tollgate-dev/tollgate/internal/image"
)

// TestCluster runs the suite's stages in order on one cluster: each later
// stage needs the install and the samples, and a failed stage stops the
// ones after it rather than burying the cause.
func TestCluster(t *testing.T) {
	stages := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"KustomizeInstall", testKustomizeInstall},
		{"SamplesServeThroughServiceDNS", testSamples},
		{"RollingUpdateLosesNoRequest", testRollingUpdate},
		{"GarbageCollection", testGarbageCollection},
		{"LeaderHandover", testLeaderHandover},
		{"RedisSharedAcrossReplicas", testRedisReplicas},
		{"HelmInstall", testHelmInstall},
		{"OperatorUpgradeRoll", testOperatorUpgradeRoll},
		{"NoWarningEvents", testNoWarningEvents},
		{"ArgoCDHealthOfLiveObjects", testArgoHealth},
		{"CertManagerTLS", testCertManagerTLS},
	}
	for _, s := range stages {
		if !t.Run(s.name, s.fn) {
			t.Log(kc.Diagnose(context.Background()))
			t.Fatalf("stage %s failed; later stages not run", s.name)
		}
	}
}

// operatorNS is where config/default installs the operator.
const operatorNS = cluster.OperatorNamespace

// testKustomizeInstall installs config/default with the image built from
// this tree (an overlay's images: entry, as a user pins a release) and
// waits for the operator to be Ready.
func testKustomizeInstall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := kc.InstallKustomize(ctx, root, image.TollgateRef); err != nil {
		t.Fatal(err)
	}
	if img := kubectl(t, "-n", operatorNS, "get", "deployment/tollgate-operator", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); img != image.TollgateRef {
		t.Fatalf("operator image %q, want the local %q", img, image.TollgateRef)
	}
}

// testSamples applies config/samples, waits for the gateway Deployment and
// the AIGateway's Ready condition, and calls the gateway through its
// Service DNS name (status.url) with the generated key.
func testSamples(t *testing.T) {
	kubectl(t, "apply", "--server-side", "-k", filepath.Join(root, "config", "samples"), "-n", "default")
	eventually(t, 2*time.Minute, "Deployment main", func() bool {
		_, err := kubectlErr(t, "get", "deployment/main")
		return err == nil
	})
	kubectl(t, "rollout", "status", "deployment/main", "--timeout=3m")
	kubectl(t, "wait", "--for=condition=Ready", "aigateway/main", "--timeout=2m")

	url := kubectl(t, "get", "aigateway/main", "-o", "jsonpath={.status.url}")
	if url != "http://main.default.svc:8080" {
		t.Errorf("status.url = %q", url)
	}
	key := secretValue(t, "default", "demo-key", "apiKey")
	c := openaiClient(url, key)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var resp *openai.ChatCompletion
	// The first request right after a rollout can be refused until
	// kube-proxy has the endpoint: retry with a bound.
	eventually(t, 30*time.Second, "first chat completion through "+url, func() bool {
		var err error
		resp, err = c.Chat.Completions.New(ctx, chatParams("chat", "Hello, cluster!"))
		return err == nil
	})
	if got := resp.Choices[0].Message.Content; got != "Hello, cluster!" {
		t.Errorf("the mock echoes the prompt; got %q", got)
	}
	if got, chunks, err := stream(ctx, c, "mock-small", "one two three"); err != nil || got != "one two three" || chunks < 3 {
		t.Errorf("streamed %q in %d chunks, err %v", got, chunks, err)
	}
	page, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if got := strings.Join(ids, ","); !strings.Contains(got, "chat") || !strings.Contains(got, "mock-large") {
		t.Errorf("/v1/models = %q, want the samples' catalogue", got)
	}
}

func openaiClient(url, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey(key),
		option.WithHTTPClient(httpClient()), option.WithMaxRetries(0), option.WithRequestTimeout(30*time.Second))
}

func chatParams(model, prompt string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)}}
}

// stream reads a streamed completion to its end.
func stream(ctx context.Context, c openai.Client, model, prompt string) (string, int, error) {
	s := c.Chat.Completions.NewStreaming(ctx, chatParams(model, prompt))
	defer s.Close()
	var b strings.Builder
	chunks := 0
	for s.Next() {
		chunks++
		if ch := s.Current(); len(ch.Choices) > 0 {
			b.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	return b.String(), chunks, s.Err()
}

// secretValue waits for a Secret's key and returns it decoded.
func secretValue(t testing.TB, ns, name, key string) string {
	t.Helper()
	var v string
	eventually(t, time.Minute, "Secret "+ns+"/"+name, func() bool {
		out, err := kubectlErr(t, "-n", ns, "get", "secret", name, "-o", "jsonpath={.data."+key+"}")
		if err != nil || out == "" {
			return false
		}
		b, err := base64.StdEncoding.DecodeString(out)
		v = string(b)
		return err == nil && v != ""
	})
	return v
}
