package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// down removes the instance's networks, as compose down does, and its
// volumes only with --volumes; what is not ours stays.
func TestDownRemovesNetworksAndOnAskVolumes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		volumes bool
		out     string
		left    []string // volumes left
	}{
		{"networks only", false, "network shop removed\n", []string{"data", "foreign"}},
		{"with volumes", true, "network shop removed\nvolume data removed\n", []string{"foreign"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := rt.NewFake()
			ctx := context.Background()
			for _, err := range []error{f.EnsureNetwork(ctx, "shop", nil), f.EnsureVolume(ctx, "data", nil)} {
				if err != nil {
					t.Fatal(err)
				}
			}
			f.AddForeignVolume("foreign")
			f.AddForeignNetwork("legacy", 1)
			var out bytes.Buffer
			a := &app{stdout: &out}
			if err := a.downResources(ctx, f, tc.volumes); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.out, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			var left []string
			for _, v := range []string{"data", "foreign"} {
				if f.HasVolume(v) {
					left = append(left, v)
				}
			}
			if diff := cmp.Diff(tc.left, left); diff != "" {
				t.Errorf("volumes left (-want +got):\n%s", diff)
			}
			if f.HasNetwork("shop") || !f.HasNetwork("legacy") {
				t.Errorf("networks: shop %v (want gone), legacy %v (want kept)", f.HasNetwork("shop"), f.HasNetwork("legacy"))
			}
		})
	}
}
