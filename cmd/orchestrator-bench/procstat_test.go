package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis; utime 250, stime 50.
	line := "1234 (orch (x) y) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 1000000 2000 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 3*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 3s", got, err)
	}
	if _, err := parseStatCPU([]byte("1234 (x) S 1")); err == nil {
		t.Error("short line: want an error")
	}
}

func TestParseStatusMem(t *testing.T) {
	status := "Name:\torchestrator\nVmPeak:\t  800000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t12\n"
	rss, hwm, err := parseStatusMem([]byte(status))
	if err != nil || rss != 40<<20 || hwm != 50<<20 {
		t.Errorf("parseStatusMem = %d, %d, %v", rss, hwm, err)
	}
	if _, _, err := parseStatusMem([]byte("Name:\tx\n")); err == nil {
		t.Error("no VmRSS: want an error")
	}
}

// TestProcSelf reads this process's own numbers: the format is the live one.
func TestProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Error(err)
	}
	rss, hwm, err := procMem(os.Getpid())
	if err != nil || rss <= 0 || hwm < rss {
		t.Errorf("procMem = %d, %d, %v", rss, hwm, err)
	}
}
