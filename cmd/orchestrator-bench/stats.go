package main

import (
	"math"
	"slices"
	"time"
)

// Summary is min, median and max of one measure over the repetitions.
type Summary struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// summarize returns the min, median and max of xs; zero for none.
func summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Summary{Min: s[0], Median: percentile(s, 50), Max: s[len(s)-1]}
}

// percentile returns the p-th percentile (0-100) of sorted, interpolating
// linearly between the two nearest ranks; NaN for an empty slice.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	if len(sorted) == 1 {
		return sorted[0]
	}
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	frac := rank - float64(lo)
	return sorted[lo] + (sorted[hi]-sorted[lo])*frac
}

// durationsMs sorts ds and returns them in milliseconds.
func durationsMs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	slices.Sort(out)
	return out
}

// ratio is a/b, or NaN when b is zero.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// verdict says whether got meets a target of at most limit, for a row's
// note: "met", or "NOT met" in capitals, so that a miss shows in a wide
// table. A NaN (nothing measured) meets nothing.
func verdict(got, limit float64) string {
	if got <= limit {
		return "met"
	}
	return "NOT met"
}
