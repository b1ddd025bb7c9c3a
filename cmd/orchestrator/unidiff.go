package main

import (
	"fmt"
	"strings"
)

// This file writes unified diffs (diff -u, git diff) of two texts, line by
// line, with Myers' O(ND) algorithm for a shortest edit script.

// opKind is one step of an edit script.
type opKind byte

const (
	opEqual  opKind = ' '
	opDelete opKind = '-'
	opInsert opKind = '+'
)

// lineOp is one line of an edit script. a and b are how many lines of each
// text come before it (0-based positions), as a hunk header needs them.
type lineOp struct {
	kind opKind
	text string // the line, with its "\n" unless it is a last line without one
	a, b int
}

// maxEditDistance bounds the work of the shortest-edit search, which keeps
// O(D²) memory. Past it the rest is diffed as one replaced block: still a
// correct diff, only not a minimal one. Spec files never get near it.
const maxEditDistance = 2000

// unifiedDiff is the unified diff of a and b with context lines around each
// change, headed "--- from" and "+++ to". Equal texts give "".
func unifiedDiff(from, to string, a, b []byte, context int) string {
	ops := diffLines(splitLines(a), splitLines(b))
	hunks := groupHunks(ops, context)
	if len(hunks) == 0 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
	for _, h := range hunks {
		writeHunk(&sb, h)
	}
	return sb.String()
}

// splitLines cuts text into lines that keep their "\n"; only the last line
// can lack it. Comparing lines with their ends makes "x" and "x\n" differ,
// which diff reports as "\ No newline at end of file".
func splitLines(text []byte) []string {
	var lines []string
	s := string(text)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// diffLines is a shortest edit script from a to b. In each run of changes
// the deleted lines come before the inserted ones, as diff prints them.
func diffLines(a, b []string) []lineOp {
	// The common prefix and suffix need no search.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []lineOp
	for _, l := range a[:pre] {
		ops = append(ops, lineOp{kind: opEqual, text: l})
	}
	ops = append(ops, myers(a[pre:len(a)-suf], b[pre:len(b)-suf], maxEditDistance)...)
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, lineOp{kind: opEqual, text: l})
	}
	ops = deletesFirst(ops)
	na, nb := 0, 0
	for i := range ops {
		ops[i].a, ops[i].b = na, nb
		if ops[i].kind != opInsert {
			na++
		}
		if ops[i].kind != opDelete {
			nb++
		}
	}
	return ops
}

// myers finds a shortest edit script with the greedy forward search of
// "An O(ND) Difference Algorithm and Its Variations" (Myers, 1986), keeping
// the frontier of every step to walk the path back. Past limit steps it
// gives up and replaces all of a with all of b.
func myers(a, b []string, limit int) []lineOp {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replaceAll(a, b)
	}
	limit = min(n+m, limit)
	// v[k+off] is the furthest x reached on diagonal k = x - y.
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int // trace[d] is v[off-d-1 .. off+d+1] before step d
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1] // down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace)
			}
		}
	}
	return replaceAll(a, b) // too different to search: one replaced block
}

// backtrack walks the search of myers back from the end, step by step.
func backtrack(a, b []string, trace [][]int) []lineOp {
	var rev []lineOp
	x, y := len(a), len(b)
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] } // v was saved from diagonal -d-1
		k := x - y
		var pk int
		if k == -d || k != d && at(k-1) < at(k+1) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, lineOp{kind: opEqual, text: a[x]})
		}
		if d == 0 {
			break
		}
		if x == px {
			y--
			rev = append(rev, lineOp{kind: opInsert, text: b[y]})
		} else {
			x--
			rev = append(rev, lineOp{kind: opDelete, text: a[x]})
		}
	}
	ops := make([]lineOp, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}

func replaceAll(a, b []string) []lineOp {
	ops := make([]lineOp, 0, len(a)+len(b))
	for _, l := range a {
		ops = append(ops, lineOp{kind: opDelete, text: l})
	}
	for _, l := range b {
		ops = append(ops, lineOp{kind: opInsert, text: l})
	}
	return ops
}

// deletesFirst reorders each run of changes so that its deletions come
// before its insertions; the script stays valid.
func deletesFirst(ops []lineOp) []lineOp {
	out := make([]lineOp, 0, len(ops))
	for i := 0; i < len(ops); {
		if ops[i].kind == opEqual {
			out = append(out, ops[i])
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].kind != opEqual {
			j++
		}
		for _, op := range ops[i:j] {
			if op.kind == opDelete {
				out = append(out, op)
			}
		}
		for _, op := range ops[i:j] {
			if op.kind == opInsert {
				out = append(out, op)
			}
		}
		i = j
	}
	return out
}

// groupHunks cuts the script into hunks: each run of changes with up to
// context equal lines around it, merging runs whose context would touch.
func groupHunks(ops []lineOp, context int) [][]lineOp {
	var hunks [][]lineOp
	for i := 0; i < len(ops); {
		if ops[i].kind == opEqual {
			i++
			continue
		}
		start := max(0, i-context)
		end := i // past the last change of the hunk
		for {
			for end < len(ops) && ops[end].kind != opEqual {
				end++
			}
			next := end
			for next < len(ops) && ops[next].kind == opEqual {
				next++
			}
			if next == len(ops) || next-end > 2*context {
				break
			}
			end = next
		}
		stop := min(len(ops), end+context)
		hunks = append(hunks, ops[start:stop])
		i = stop
	}
	return hunks
}

func writeHunk(sb *strings.Builder, h []lineOp) {
	na, nb := 0, 0
	for _, op := range h {
		if op.kind != opInsert {
			na++
		}
		if op.kind != opDelete {
			nb++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(h[0].a, na), hunkRange(h[0].b, nb))
	for _, op := range h {
		sb.WriteByte(byte(op.kind))
		sb.WriteString(op.text)
		if !strings.HasSuffix(op.text, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange is "start,count" of a hunk header, 1-based, as diff -u writes
// it: a count of 1 is left out, and an empty range names the line before.
func hunkRange(before, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", before)
	case 1:
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}
