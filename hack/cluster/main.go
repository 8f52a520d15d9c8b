// Command cluster brings Tollgate's one-node test cluster up or down, or
// builds the local images into it (make cluster-up, make cluster-down,
// make image). It needs root; see internal/cluster.
//
//	go run ./hack/cluster up      start (after cleaning up any earlier run)
//	go run ./hack/cluster down    stop and remove everything it started
//	go run ./hack/cluster image   build the images into bin/image/ and, when
//	                              the cluster runs, import them
//	go run ./hack/cluster run     make run CLUSTER=1: up, install, samples,
//	                              the gateway Service on 127.0.0.1:8080
//	                              until Ctrl-C, then down
//	go run ./hack/cluster diagnose  why pods are not coming up: disk, node
//	                              conditions, pods not Ready, warning
//	                              events, their logs (what a failed
//	                              test/cluster stage prints)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tollgate-dev/tollgate/internal/cluster"
	"github.com/tollgate-dev/tollgate/internal/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: cluster up|down|image|run|diagnose")
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	o := cluster.LayoutOptions(root)
	o.Log = os.Stderr
	switch args[0] {
	case "up":
		c, err := upWithImages(ctx, root, o)
		if err != nil {
			return err
		}
		fmt.Printf("cluster is up; images %s and %s are loaded.\n  nsenter --net=%s kubectl --kubeconfig %s get nodes\n  make cluster-down stops it.\n",
			image.TollgateRef, image.PauseRef, c.Netns(), c.Kubeconfig())
		return nil
	case "down":
		c, err := cluster.New(o)
		if err != nil {
			return err
		}
		return c.Down()
	case "image":
		a, err := image.BuildLocal(ctx, root)
		if err != nil {
			return err
		}
		fmt.Printf("wrote %s (%s) and %s (%s)\n", a.Tollgate, image.TollgateRef, a.Pause, image.PauseRef)
		c, err := cluster.New(o)
		if err != nil {
			return err
		}
		if !exists(c.Netns()) {
			return nil // no cluster is up: the archives are written, nothing to load
		}
		if err := c.ImportImage(ctx, a.Tollgate); err != nil {
			return err
		}
		fmt.Println("imported into the running cluster's containerd")
		return nil
	case "run":
		return quickstart(ctx, root, o)
	case "diagnose":
		c, err := cluster.New(o)
		if err != nil {
			return err
		}
		if !exists(c.Netns()) {
			return errors.New("no cluster is up (make cluster-up starts one)")
		}
		fmt.Print(c.Diagnose(ctx))
		return nil
	}
	return fmt.Errorf("usage: cluster up|down|image|run|diagnose")
}

// upWithImages builds the local images, starts the cluster on the pause
// image and loads the Tollgate image into it. A cluster that came up but
// could not load the image is removed again.
func upWithImages(ctx context.Context, root string, o cluster.Options) (*cluster.Cluster, error) {
	a, err := image.BuildLocal(ctx, root)
	if err != nil {
		return nil, err
	}
	c, err := cluster.Up(ctx, o, a.Pause)
	if err != nil {
		return nil, err
	}
	if err := c.ImportImage(ctx, a.Tollgate); err != nil {
		return nil, errors.Join(fmt.Errorf("loading %s into the cluster: %w", a.Tollgate, err), c.Down())
	}
	return c, nil
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
