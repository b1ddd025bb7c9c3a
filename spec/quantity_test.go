package spec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

func TestParseCPU(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "", want: 0}, // no limit
		{in: "500m", want: 500_000_000},
		{in: "0.5", want: 500_000_000},
		{in: ".5", want: 500_000_000},
		{in: "2", want: 2_000_000_000},
		{in: "1.25", want: 1_250_000_000},
		{in: "0.001", want: 1_000_000},
		{in: "1m", want: 1_000_000},
		{in: "10m", want: 10_000_000},
		{in: "1500m", want: 1_500_000_000},
		{in: "0.1", want: 100_000_000},                      // exact: no float rounding
		{in: "0.3", want: 300_000_000},                      // 0.1+0.2 would not be
		{in: "2.000000001", want: 2_000_000_001},            // nine decimals
		{in: "0.000000001", want: 1},                        // the smallest step
		{in: "0.5000000000", want: 500_000_000},             // trailing zeros are not precision
		{in: "100.5m", want: 100_500_000},                   // fractional millis
		{in: "0.000001m", want: 1},                          // one nano-CPU in millis
		{in: "9223372036", want: 9_223_372_036_000_000_000}, // close to int64's end
		{in: " 1 ", want: 1_000_000_000},
		{in: "0", want: 0}, // parses; Validate refuses it
		{in: "-1", want: -1_000_000_000},
		{in: "0.0000000001", bad: true}, // too precise
		{in: "0.0000001m", bad: true},
		{in: "9223372037", bad: true}, // overflows int64 nano-CPUs
		{in: "abc", bad: true},
		{in: "1.5.5", bad: true},
		{in: "1e3", bad: true},
		{in: "1.", bad: true},
		{in: "500M", bad: true},
		{in: "500mm", bad: true},
		{in: "m", bad: true},
		{in: "0x10", bad: true},
		{in: "1 m", bad: true},
		{in: "½", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := spec.ParseCPU(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseCPU(%q) = %d, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCPU(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseCPU(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestFormatCPU(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{500_000_000, "0.5"},
		{1_000_000_000, "1"},
		{2_000_000_000, "2"},
		{1_250_000_000, "1.25"},
		{10_000_000, "0.01"},
		{1, "0.000000001"},
		{2_000_000_001, "2.000000001"},
		{64_000_000_000, "64"},
	}
	for _, tc := range tests {
		got := spec.FormatCPU(tc.in)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("FormatCPU(%d) (-want +got):\n%s", tc.in, diff)
		}
		// It round-trips through ParseCPU exactly.
		if back, err := spec.ParseCPU(got); err != nil || back != tc.in {
			t.Errorf("ParseCPU(FormatCPU(%d)) = %d, %v", tc.in, back, err)
		}
	}
}

func TestParseMemory(t *testing.T) {
	const (
		ki = 1024
		mi = 1024 * ki
		gi = 1024 * mi
	)
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "", want: 0}, // no limit
		{in: "256m", want: 256 * mi},
		{in: "256M", want: 256 * mi},
		{in: "1g", want: gi},
		{in: "1G", want: gi},
		{in: "1gb", want: gi},
		{in: "1Gi", want: gi},
		{in: "512Mi", want: 512 * mi},
		{in: "64Ki", want: 64 * ki},
		{in: "1.5g", want: gi + gi/2},
		{in: "1.5Gi", want: gi + gi/2},
		{in: "1048576", want: mi},
		{in: "64k", want: 64 * ki},
		{in: "6m", want: 6 * mi},
		{in: "2t", want: 2 * 1024 * gi},
		{in: "1 Gi", want: gi},
		{in: " 128m ", want: 128 * mi},
		{in: "0", want: 0}, // parses; Validate refuses it
		{in: "12q", bad: true},
		{in: "-1g", bad: true},
		{in: "g", bad: true},
		{in: "1.5.5g", bad: true},
		{in: "1Gig", bad: true},
		{in: "1GiB", want: gi},
		{in: "1gi", bad: true}, // go-units wants "gib"; "Gi" is the Kubernetes form
		{in: "ten", bad: true},
		{in: "99999999999999p", bad: true}, // does not fit in int64
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := spec.ParseMemory(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseMemory(%q) = %d, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMemory(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseMemory(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in      string
		want    spec.Port
		wantStr string
		err     string
	}{
		{in: "80", want: spec.Port{Number: 80, Proto: "tcp"}, wantStr: "80/tcp"},
		{in: "80/tcp", want: spec.Port{Number: 80, Proto: "tcp"}, wantStr: "80/tcp"},
		{in: "53/udp", want: spec.Port{Number: 53, Proto: "udp"}, wantStr: "53/udp"},
		{in: "1", want: spec.Port{Number: 1, Proto: "tcp"}, wantStr: "1/tcp"},
		{in: "65535/udp", want: spec.Port{Number: 65535, Proto: "udp"}, wantStr: "65535/udp"},
		{in: "080", want: spec.Port{Number: 80, Proto: "tcp"}, wantStr: "80/tcp"},
		{in: "0", err: `container port must be 1-65535, got 0`},
		{in: "65536", err: `container port must be 1-65535, got 65536`},
		{in: "-1", err: `container port must be 1-65535, got -1`},
		{in: "-0", err: `"-0" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: "+80", err: `"+80" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: "http", err: `"http" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: "", err: `"" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: "/tcp", err: `"/tcp" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: " 80", err: `" 80" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: "80-81", err: `"80-81" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: "99999999999999999999", err: `"99999999999999999999" is not a port (use "80", "80/tcp" or "53/udp")`},
		{in: "80/sctp", err: `protocol must be tcp or udp, got "sctp"`},
		{in: "80/TCP", err: `protocol must be tcp or udp, got "TCP"`},
		{in: "80/", err: `protocol must be tcp or udp, got ""`},
		{in: "80/tcp/udp", err: `protocol must be tcp or udp, got "tcp/udp"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := spec.ParsePort(tc.in)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("ParsePort(%q) = %v, want error %q", tc.in, got, tc.err)
				}
				if diff := cmp.Diff(tc.err, err.Error()); diff != "" {
					t.Errorf("ParsePort(%q) error (-want +got):\n%s", tc.in, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePort(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePort(%q) (-want +got):\n%s", tc.in, diff)
			}
			if diff := cmp.Diff(tc.wantStr, got.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
		})
	}
}
