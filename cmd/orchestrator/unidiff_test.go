package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lines is "l1\n" ... "lN\n".
func lines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "l%d\n", i)
	}
	return b.String()
}

// The wants are what GNU diff -u --label a/f --label b/f prints.
func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{"equal", lines(5), lines(5), ""},
		{"both empty", "", "", ""},
		{"one line", "a\n", "b\n", "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"},
		{"new file", "", "x\ny\nz\n", "--- a/f\n+++ b/f\n@@ -0,0 +1,3 @@\n+x\n+y\n+z\n"},
		{"removed file", "x\ny\nz\n", "", "--- a/f\n+++ b/f\n@@ -1,3 +0,0 @@\n-x\n-y\n-z\n"},
		{"middle change", lines(10), strings.Replace(lines(10), "l5\n", "five\n", 1),
			"--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+five\n l6\n l7\n l8\n"},
		{"two hunks", lines(20), strings.Replace(strings.Replace(lines(20), "l3\n", "three\n", 1), "l17\n", "", 1),
			"--- a/f\n+++ b/f\n@@ -1,6 +1,6 @@\n l1\n l2\n-l3\n+three\n l4\n l5\n l6\n" +
				"@@ -14,7 +14,6 @@\n l14\n l15\n l16\n-l17\n l18\n l19\n l20\n"},
		{"a gap of six merges", lines(12), strings.Replace(strings.Replace(lines(12), "l2\n", "two\n", 1), "l9\n", "nine\n", 1),
			"--- a/f\n+++ b/f\n@@ -1,12 +1,12 @@\n l1\n-l2\n+two\n l3\n l4\n l5\n l6\n l7\n l8\n-l9\n+nine\n l10\n l11\n l12\n"},
		{"a gap of seven splits", lines(12), strings.Replace(strings.Replace(lines(12), "l2\n", "two\n", 1), "l10\n", "ten\n", 1),
			"--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n l1\n-l2\n+two\n l3\n l4\n l5\n@@ -7,6 +7,6 @@\n l7\n l8\n l9\n-l10\n+ten\n l11\n l12\n"},
		{"insert at start and end", lines(8), "first\n" + lines(8) + "last\n",
			"--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n+first\n l1\n l2\n l3\n@@ -6,3 +7,4 @@\n l6\n l7\n l8\n+last\n"},
		{"no newline at end, old", "a\nb", "a\nb\n",
			"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{"no newline at end, new", "a\nb\n", "a\nb",
			"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"},
		{"no newline at end, both", "a\nb", "a\nc",
			"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"replaced block: deletions first", lines(6), "l1\nx\ny\nz\nl6\n",
			"--- a/f\n+++ b/f\n@@ -1,6 +1,5 @@\n l1\n-l2\n-l3\n-l4\n-l5\n+x\n+y\n+z\n l6\n"},
		{"interleaved edits", "a\nb\nc\nd\ne\n", "a\nB\nc\nD\ne\nf\n",
			"--- a/f\n+++ b/f\n@@ -1,5 +1,6 @@\n a\n-b\n+B\n c\n-d\n+D\n e\n+f\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unifiedDiff("a/f", "b/f", []byte(tt.a), []byte(tt.b), 3)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
			if got != "" {
				if patched := patch(t, tt.a, got); patched != tt.b {
					t.Errorf("the diff does not turn a into b: got %q", patched)
				}
			}
		})
	}
}

// Random texts: every diff applies, and every edit script is a shortest one.
func TestUnifiedDiffRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var b strings.Builder
		for range rng.IntN(15) {
			b.WriteString(string(rune('a'+rng.IntN(4))) + "\n")
		}
		if rng.IntN(4) == 0 {
			b.WriteString("end") // no newline at the end
		}
		return b.String()
	}
	for i := range 2000 {
		a, b := text(), text()
		ctx := rng.IntN(4)
		d := unifiedDiff("a/f", "b/f", []byte(a), []byte(b), ctx)
		if (d == "") != (a == b) {
			t.Fatalf("case %d: a=%q b=%q: diff %q", i, a, b, d)
		}
		if d != "" {
			if got := patch(t, a, d); got != b {
				t.Fatalf("case %d (context %d): a=%q b=%q\ndiff:\n%s\npatched: %q", i, ctx, a, b, d, got)
			}
		}
		la, lb := splitLines([]byte(a)), splitLines([]byte(b))
		changes := 0
		for _, op := range diffLines(la, lb) {
			if op.kind != opEqual {
				changes++
			}
		}
		if want := len(la) + len(lb) - 2*lcs(la, lb); changes != want {
			t.Fatalf("case %d: a=%q b=%q: %d changes, the shortest script has %d", i, a, b, changes, want)
		}
	}
}

// Past the search limit the diff is longer, but still right.
func TestMyersLimit(t *testing.T) {
	a := splitLines([]byte("a\nb\nc\nd\ne\n"))
	b := splitLines([]byte("b\nx\nd\ny\n"))
	for limit := 0; limit <= 10; limit++ {
		var gotB []string
		for _, op := range myers(a, b, limit) {
			if op.kind != opDelete {
				gotB = append(gotB, op.text)
			}
		}
		if diff := cmp.Diff(b, gotB); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", limit, diff)
		}
	}
}

// lcs is the length of a longest common subsequence, by dynamic programming.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// patch applies a unified diff to a, checking every context and deleted
// line and the line numbers of every hunk header.
func patch(t *testing.T, a, diff string) string {
	t.Helper()
	src := splitLines([]byte(a))
	rows := strings.SplitAfter(diff, "\n")
	if len(rows) < 3 || !strings.HasPrefix(rows[0], "--- ") || !strings.HasPrefix(rows[1], "+++ ") {
		t.Fatalf("no header in %q", diff)
	}
	var out []string
	pos := 0 // lines of src consumed
	type line struct {
		kind byte
		text string
	}
	var hunk []line
	oldStart, newStart := 0, 0
	flush := func() {
		if hunk == nil {
			return
		}
		// The header's old start: the first line of the hunk, or the line before an empty range.
		nOld, nNew := 0, 0
		for _, l := range hunk {
			if l.kind != '+' {
				nOld++
			}
			if l.kind != '-' {
				nNew++
			}
		}
		first := oldStart - 1
		if nOld == 0 {
			first = oldStart
		}
		if first < pos {
			t.Fatalf("hunk at %d overlaps the one before (at %d) in:\n%s", oldStart, pos, diff)
		}
		out = append(out, src[pos:first]...)
		pos = first
		if wantNew := len(out) + 1; nNew > 0 && newStart != wantNew || nNew == 0 && newStart != len(out) {
			t.Fatalf("hunk header says new start %d, output is at line %d, in:\n%s", newStart, len(out)+1, diff)
		}
		for _, l := range hunk {
			switch l.kind {
			case ' ', '-':
				if pos >= len(src) || src[pos] != l.text {
					t.Fatalf("line %d is %q in a, the diff says %q:\n%s", pos+1, at(src, pos), l.text, diff)
				}
				if l.kind == ' ' {
					out = append(out, l.text)
				}
				pos++
			case '+':
				out = append(out, l.text)
			}
		}
		hunk = nil
	}
	for _, r := range rows[2:] {
		switch {
		case r == "":
		case strings.HasPrefix(r, "@@ "):
			flush()
			oldStart, newStart = hunkStart(t, r, "-"), hunkStart(t, r, "+")
			hunk = []line{}
		case r == "\\ No newline at end of file\n":
			last := &hunk[len(hunk)-1]
			last.text = strings.TrimSuffix(last.text, "\n")
		default:
			hunk = append(hunk, line{r[0], r[1:]})
		}
	}
	flush()
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<end>"
}

// hunkStart reads the start of the range after sign in "@@ -a,b +c,d @@".
func hunkStart(t *testing.T, header, sign string) int {
	for _, f := range strings.Fields(header) {
		if strings.HasPrefix(f, sign) {
			n, err := strconv.Atoi(strings.SplitN(f[1:], ",", 2)[0])
			if err != nil {
				t.Fatalf("bad hunk header %q", header)
			}
			return n
		}
	}
	t.Fatalf("bad hunk header %q", header)
	return 0
}
