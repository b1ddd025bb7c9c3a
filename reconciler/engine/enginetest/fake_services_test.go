package enginetest

import "testing"

func TestFakeServicesContract(t *testing.T) {
	RunServices(t, func(t *testing.T) ServicesHarness {
		f := NewFakeServices("inst")
		return ServicesHarness{
			Services: f, Image: "app:v1", Prefix: "fake", Instance: "inst",
			AddForeign: func(t *testing.T, name string, labels map[string]string) { f.AddForeignByHand(name, labels) },
		}
	})
}
