package enginetest

import (
	"testing"
)

func TestFakeContract(t *testing.T) {
	Run(t, func(t *testing.T) Harness {
		f := NewFake("app:v1")
		return Harness{
			Engine: f, Image: "app:v1", MissingImage: "nope:v1", Prefix: "fake",
			AddUnmanaged:      func(t *testing.T, name string) string { return f.AddUnmanaged(name, "app:v1") },
			AddForeignVolume:  func(t *testing.T, name string) { f.AddForeignVolume(name) },
			AddForeignNetwork: func(t *testing.T, name string) { f.AddForeignNetwork(name, 0) },
		}
	})
}
